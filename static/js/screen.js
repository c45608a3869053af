// huiji-review: the big screen (screen/screen.html) and every countdown (the moderator's
// console too).
//
// Countdown: an element [data-countdown] carries the seconds left at the server's time
// (data-remaining; negative when over) and whether the clock runs (data-running). From the
// moment the element appears, it ticks on locally every 250 ms, so the clock keeps counting
// while the venue network is down; the last minute is amber, over time red ("超时 mm:ss").
//
// Polling (the screen only, main#screen[data-state-url]): every 2 s a fetch of the content
// fragment with the ETag we hold in If-None-Match. 304: nothing changed. 200: the new content
// replaces the old. A failure keeps the last content on screen, shows a small mark, and the
// next success catches up (and hides the mark).
(function () {
  "use strict";
  var TICK_MS = 250;
  var AMBER_SECONDS = 60;
  var TIMEOUT_MS = 8000;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function mmss(seconds) { return pad(Math.floor(seconds / 60)) + ":" + pad(seconds % 60); }

  function tick() {
    var now = performance.now();
    var clocks = document.querySelectorAll("[data-countdown]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      if (!el.dataset.t0) el.dataset.t0 = String(now);
      var remaining = parseFloat(el.dataset.remaining);
      if (isNaN(remaining)) continue;
      if (el.dataset.running === "1") remaining -= (now - parseFloat(el.dataset.t0)) / 1000;
      var state, text;
      // The same rounding as meeting/countdown.py's Countdown: whole seconds left rounded up,
      // whole seconds over rounded down.
      if (remaining > 0) {
        var left = Math.ceil(remaining);
        text = mmss(left);
        state = left <= AMBER_SECONDS ? "amber" : "normal";
      } else {
        text = (el.dataset.overFormat || "%(time)s").replace("%(time)s", mmss(Math.floor(-remaining)));
        state = "over";
      }
      if (el.textContent !== text) el.textContent = text;
      var cls = "countdown-" + state;
      if (!el.classList.contains(cls)) {
        el.classList.remove("countdown-normal", "countdown-amber", "countdown-over");
        el.classList.add(cls);
      }
    }
  }

  function startPolling(main) {
    var url = main.dataset.stateUrl;
    var etag = main.dataset.etag || "";
    var every = parseInt(main.dataset.pollMs, 10) || 2000;
    var offline = document.getElementById("screen-offline");

    function mark(down) {
      if (offline) offline.hidden = !down;
      document.body.classList.toggle("is-offline", down);
    }

    function poll() {
      var controller = window.AbortController ? new AbortController() : null;
      var timer = controller ? window.setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : 0;
      var headers = etag ? { "If-None-Match": etag } : {};
      fetch(url, { cache: "no-store", headers: headers, credentials: "same-origin", signal: controller ? controller.signal : undefined })
        .then(function (response) {
          if (response.status === 304) { mark(false); return null; }
          if (!response.ok) throw new Error("HTTP " + response.status);
          var next = response.headers.get("ETag");
          return response.text().then(function (html) {
            main.innerHTML = html;
            if (next) etag = next;
            mark(false);
            tick();
            // Scripts that start on htmx's "load" (the project slideshow) see new content
            // the same way, although no htmx brought it.
            document.dispatchEvent(new CustomEvent("htmx:load", { detail: { elt: main } }));
          });
        })
        .catch(function () { mark(true); })
        .then(function () {
          window.clearTimeout(timer);
          window.setTimeout(poll, every);
        });
    }
    window.setTimeout(poll, every);
  }

  // 评议结果 in pages (screen/content.py ranking_pages): show one at a time and turn to the
  // next every data-interval ms. New content from a poll brings its own pager; the old one
  // stops when its element has left the page.
  function startPager(root) {
    if (root.dataset.started) return;
    root.dataset.started = "1";
    var pages = root.querySelectorAll(".ranking-page");
    if (pages.length < 2) return;
    var current = 0;
    var timer = window.setInterval(function () {
      if (!root.isConnected) { window.clearInterval(timer); return; }
      pages[current].classList.remove("is-current");
      current = (current + 1) % pages.length;
      pages[current].classList.add("is-current");
    }, Number(root.dataset.interval) || 12000);
  }

  function startPagers() {
    document.querySelectorAll("[data-ranking-pages]").forEach(startPager);
  }

  function init() {
    startPagers();
    document.addEventListener("htmx:load", startPagers);
    tick();
    window.setInterval(tick, TICK_MS);
    // htmx swaps (the console) bring new countdowns: start them at once, not a tick later.
    document.addEventListener("htmx:afterSwap", tick);
    var main = document.querySelector("main[data-state-url]");
    if (main && window.fetch) startPolling(main);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
