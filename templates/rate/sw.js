{% autoescape off %}// huiji-review: the tablets' service worker, scoped to /r/ (docs/tablets.md, "Offline").
//
// It keeps two things: the site's assets (so a page loads with no network), and the last copy
// of this card's rating form and live page (so a reload in a dead hall still shows the form).
// A page is kept only when the server marks it X-Offline-Page: keep; any other answer for those
// addresses (the receipt, rating ended, another card, no card) makes it drop every kept page,
// so nothing of a card's form outlives its submission (docs/anonymity.md, "On the tablet").
// Written for Chromium 80 (docs/tablets.md, "Browsers").
"use strict";
var VERSION = "{{ version|escapejs }}";
var ASSETS = "huiji-assets-" + VERSION;
var PAGES = "huiji-pages";
var STATIC_PREFIX = "{{ static_prefix|escapejs }}";
var PRECACHE = [{% for url in assets %}"{{ url|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];
var PAGE_PATHS = [{% for url in pages %}"{{ url|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];
var FORGET_PATHS = [{% for url in forget_pages %}"{{ url|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];
var KEEP_HEADER = "X-Offline-Page";
var OFFLINE_TITLE = "{{ offline_title|escapejs }}";
var OFFLINE_TEXT = "{{ offline_text|escapejs }}";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(ASSETS)
      .then(function (cache) {
        return cache.addAll(PRECACHE);
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (keys) {
        return Promise.all(
          keys
            .filter(function (key) {
              return key.indexOf("huiji-assets-") === 0 && key !== ASSETS;
            })
            .map(function (key) {
              return caches.delete(key);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

// The page says "forget" when the rater leaves the card or sees the receipt; "claim" and "keep"
// when it was loaded while this worker was starting (the first page of a card usually is).
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data === "claim") {
    event.waitUntil(self.clients.claim());
  } else if (data === "forget") {
    event.waitUntil(caches.delete(PAGES));
  } else if (data.keep && PAGE_PATHS.indexOf(data.keep) !== -1) {
    event.waitUntil(
      fetch(data.keep, { credentials: "same-origin" }).then(function (response) {
        if (response.ok && response.headers.get(KEEP_HEADER) === "keep") {
          return caches.open(PAGES).then(function (cache) {
            return cache.put(data.keep, response);
          });
        }
        return caches.delete(PAGES);
      })
    );
  }
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(asset(request));
  } else if (PAGE_PATHS.indexOf(url.pathname) !== -1) {
    event.respondWith(page(event, request, url.pathname));
  } else if (FORGET_PATHS.indexOf(url.pathname) !== -1) {
    event.respondWith(forgetting(event, request));
  }
  // Everything else (taps, polls, the sync) goes to the network as if there were no worker:
  // a fragment from a cache would show a state the server no longer holds.
});

function asset(request) {
  return caches.match(request).then(function (hit) {
    if (hit) return hit;
    return fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(ASSETS).then(function (cache) {
          return cache.put(request, copy);
        });
      }
      return response;
    });
  });
}

function page(event, request, path) {
  var navigation = request.mode === "navigate";
  return fetch(request).then(
    function (response) {
      if (response.headers.get(KEEP_HEADER) === "keep") {
        if (navigation && response.ok) {
          var copy = response.clone();
          event.waitUntil(
            caches.open(PAGES).then(function (cache) {
              return cache.put(path, copy);
            })
          );
        }
      } else {
        event.waitUntil(caches.delete(PAGES));
      }
      return response;
    },
    function (error) {
      if (!navigation) throw error;
      return caches
        .open(PAGES)
        .then(function (cache) {
          return cache.match(path);
        })
        .then(function (kept) {
          if (!kept) return offlinePage();
          return kept.text().then(function (text) {
            // The page tells the rater it is the device's copy (static/js/offline.js).
            var marked = text.replace('data-served-from="network"', 'data-served-from="device"');
            return new Response(marked, {
              headers: { "Content-Type": "text/html; charset=utf-8" },
            });
          });
        });
    }
  );
}

function forgetting(event, request) {
  return fetch(request).then(function (response) {
    if (response.headers.get(KEEP_HEADER) !== "keep") event.waitUntil(caches.delete(PAGES));
    return response;
  });
}

function offlinePage() {
  var html =
    '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    "<title>" + OFFLINE_TITLE + "</title><h1>" + OFFLINE_TITLE + "</h1><p>" + OFFLINE_TEXT + "</p>";
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}
{% endautoescape %}
