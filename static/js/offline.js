// huiji-review: the raters' and representatives' tablets when the hall's Wi-Fi drops
// (docs/tablets.md, "Offline").
//
// - Every page under /r/ installs the service worker (/r/sw.js), which keeps the assets and the
//   last copy of this card's form and live page.
// - On the rating form, every tap is first written to this device (localStorage), then sent as
//   before. A tap that could not be sent stays on the device, its row says so, and the whole
//   batch is sent to /r/sync/ when the network returns. 确认提交 without a network queues the
//   submission here; the sync submits it, and the receipt is shown when it comes.
// - On the live page, a question or a vote that could not be sent is kept and sent later; the
//   server still decides whether it counts (a vote closed meanwhile does not).
// - Nothing stays once it has reached the server, and everything goes when the receipt is
//   shown or the card is left (docs/anonymity.md, "On the tablet").
//
// Written for Chromium 80 (信创 browsers): ES2017 in practice, ES2020 at most (docs/tablets.md,
// "Browsers"); tests/huiji_review/test_browser_support.py checks it.
(function () {
  "use strict";
  var STORE = "huiji-device";
  var PAGES = "huiji-pages";
  var BATCH = 500; // taps per request: under Django's DATA_UPLOAD_MAX_NUMBER_FIELDS
  var RETRY_MS = 2000;
  var MAX_DELAY_MS = 15000;
  // As long as the card's cookie lives (sessions/views/card.py): an older store is dropped.
  var MAX_AGE_MS = 12 * 60 * 60 * 1000;

  var body = document.body;
  var key = body.dataset.deviceKey || "";
  var kind = key ? body.dataset.devicePage : "";
  var status = document.getElementById("device-status");
  var syncing = false;
  var timer = null;
  var failures = 0;

  // ------------------------------------------------------------ the device's store

  // grades: what the server holds for each row, as last seen (shown when the page is the
  // device's copy); taps: what was tapped and has not reached it yet.
  function empty() {
    return { form: key, at: Date.now(), grades: {}, taps: {}, submit: false, outbox: [] };
  }

  function load() {
    var store = null;
    try {
      store = JSON.parse(window.localStorage.getItem(STORE) || "null");
    } catch (error) {
      store = null;
    }
    // Kept for another card: it must never reach this one, nor stay.
    if (!store || store.form !== key || !(Date.now() - store.at < MAX_AGE_MS)) return empty();
    store.grades = store.grades || {};
    store.taps = store.taps || {};
    store.outbox = store.outbox || [];
    return store;
  }

  function save(store) {
    var pending =
      Object.keys(store.grades).length ||
      Object.keys(store.taps).length ||
      store.submit ||
      store.outbox.length;
    try {
      if (pending) window.localStorage.setItem(STORE, JSON.stringify(store));
      else window.localStorage.removeItem(STORE);
    } catch (error) {
      // Storage refused (private mode, full): the taps still go to the server as before.
    }
  }

  function forget() {
    try {
      window.localStorage.removeItem(STORE);
    } catch (error) {
      // nothing was stored
    }
    if (window.caches) window.caches.delete(PAGES);
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage("forget");
    }
  }

  function format(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (match, name) {
      return name in values ? String(values[name]) : match;
    });
  }

  function message(name, values) {
    return status ? format(status.getAttribute("data-msg-" + name), values || {}) : "";
  }

  function say(text, warn) {
    if (!status) return;
    status.textContent = text;
    status.hidden = !text;
    status.classList.toggle("warn", Boolean(warn));
  }

  function banner(text) {
    var box = document.getElementById("htmx-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }

  function csrfToken() {
    try {
      return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function post(url, data) {
    return window.fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
    });
  }

  function schedule(delay) {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      timer = null;
      flush();
    }, delay);
  }

  function retryLater() {
    failures += 1;
    schedule(Math.min(RETRY_MS * failures, MAX_DELAY_MS));
  }

  function flush() {
    if (kind === "form") syncForm();
    else if (kind === "live") sendOutbox();
  }

  // ------------------------------------------------------------ the rating form

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("form[data-autosave]"));
  }

  function cellOf(form) {
    var unit = form.querySelector("input[name=unit]");
    var criterion = form.querySelector("input[name=criterion]");
    return (unit ? unit.value : "") + ":" + (criterion ? criterion.value : "");
  }

  function rowFor(cell) {
    var found = null;
    rows().forEach(function (form) {
      if (cellOf(form) === cell) found = form;
    });
    return found;
  }

  function checked(form) {
    var input = form.querySelector("input[name=grade]:checked");
    return input ? input.value : "";
  }

  function markRow(form, onDevice) {
    var state = form.querySelector(".save-state");
    form.classList.toggle("on-device", onDevice);
    if (onDevice) form.classList.remove("unsaved");
    if (!state) return;
    if (onDevice) {
      state.classList.remove("unsaved");
      state.textContent = message("row");
    } else if (state.textContent === message("row")) {
      state.textContent = message("row-saved");
    }
  }

  // The progress line, the counts and the button, from what the form shows: while taps are
  // on the device the server's counts are behind.
  function progress() {
    var all = rows();
    var counts = {};
    var done = 0;
    all.forEach(function (form) {
      var grade = checked(form);
      if (grade) {
        done += 1;
        counts[grade] = (counts[grade] || 0) + 1;
      }
    });
    var line = document.getElementById("progress");
    if (line) line.textContent = message("progress", { done: done, total: all.length });
    document.querySelectorAll("[data-count]").forEach(function (cell) {
      cell.textContent = String(counts[cell.getAttribute("data-count")] || 0);
    });
    var missing = all.length - done;
    document.querySelectorAll("[data-when-missing]").forEach(function (line) {
      line.hidden = missing === 0;
    });
    document.querySelectorAll("[data-when-complete]").forEach(function (line) {
      line.hidden = missing !== 0;
    });
    document.querySelectorAll("[data-missing-text]").forEach(function (text) {
      text.textContent = message("missing", { n: missing });
    });
    var button = document.querySelector("form[data-confirm-submit] button[type=submit]");
    if (button && !load().submit && missing === 0) button.disabled = false;
    return missing;
  }

  function describe() {
    var store = load();
    var n = Object.keys(store.taps).length;
    if (store.submit) say(message("queued"), true);
    else if (n && navigator.onLine === false) say(message("offline", { n: n }), true);
    else if (n) say(message("uploading", { n: n }), true);
    else if (body.dataset.servedFrom === "device") say(message("copy"), true);
    else if (status && status.classList.contains("warn")) say(message("synced"), false);
  }

  function submitState(text, failed) {
    var form = document.querySelector("form[data-confirm-submit]");
    var state = form && form.querySelector(".submit-state");
    if (state) {
      state.textContent = text;
      state.classList.toggle("unsaved", Boolean(failed));
    }
    var button = form && form.querySelector("button[type=submit]");
    if (button) button.disabled = Boolean(load().submit);
  }

  function showReceipt(receipt) {
    forget();
    var template = document.getElementById("device-receipt");
    var main = document.querySelector("main");
    if (!template || !main) {
      window.location.reload();
      return;
    }
    var box = document.createElement("div");
    box.className = "card login-box";
    box.appendChild(template.content.cloneNode(true));
    var shown = box.querySelector("#receipt");
    if (shown) shown.textContent = receipt;
    main.innerHTML = "";
    main.appendChild(box);
    window.scrollTo(0, 0);
  }

  // A tap: on the device first; htmx then sends it as before, unless earlier taps are still
  // waiting (they go first, in one batch, or an older grade could land after a newer one).
  function tapped(event) {
    var input = event.target;
    if (!input || input.name !== "grade" || !input.closest) return;
    var form = input.closest("form[data-autosave]");
    if (!form || kind !== "form") return;
    var store = load();
    store.taps[cellOf(form)] = input.value;
    save(store);
    progress();
    describe();
  }

  function holdsTap(form) {
    return kind === "form" && load().taps[cellOf(form)] !== undefined;
  }

  function beforeTap(event) {
    var form = event.detail && event.detail.elt;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-autosave")) return;
    form.dataset.sending = checked(form);
    var waiting = Object.keys(load().taps).length;
    if (syncing || waiting > 1 || navigator.onLine === false) {
      event.preventDefault();
      markRow(form, true);
      schedule(syncing ? 500 : 0);
    }
  }

  function afterTap(event) {
    var form = event.detail && event.detail.elt;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-autosave")) return;
    var code = event.detail.xhr ? event.detail.xhr.status : 0;
    var cell = cellOf(form);
    var store = load();
    if (code >= 200 && code < 500) {
      // Saved, or refused by the server (which then puts the row back): either way it is no
      // longer the device's to send.
      if (code < 400) store.grades[cell] = form.dataset.sending;
      if (code >= 400 || store.taps[cell] === form.dataset.sending) delete store.taps[cell];
      save(store);
      form.classList.remove("on-device");
    } else {
      markRow(form, true);
      retryLater();
    }
    describe();
  }

  function syncForm() {
    var store = load();
    var cells = Object.keys(store.taps);
    if (syncing || (!cells.length && !store.submit)) {
      describe();
      return;
    }
    if (document.querySelector("form[data-autosave].htmx-request")) {
      schedule(500);
      return;
    }
    syncing = true;
    var batch = cells.slice(0, BATCH);
    var last = batch.length === cells.length;
    var data = new URLSearchParams();
    data.append("form", key);
    batch.forEach(function (cell) {
      data.append("tap", cell + ":" + store.taps[cell]);
    });
    if (store.submit && last) data.append("submit", "1");
    var sent = {};
    batch.forEach(function (cell) {
      sent[cell] = store.taps[cell];
    });
    describe();
    post(body.dataset.syncUrl, data)
      .then(function (response) {
        return response.text().then(function (text) {
          var answer = null;
          try {
            answer = JSON.parse(text);
          } catch (error) {
            answer = { message: text.slice(0, 300) };
          }
          return { status: response.status, answer: answer };
        });
      })
      .then(
        function (result) {
          syncing = false;
          synced(result.status, result.answer || {}, sent);
        },
        function () {
          syncing = false;
          describe();
          retryLater();
        }
      );
  }

  function dropSent(store, sent) {
    Object.keys(sent).forEach(function (cell) {
      store.grades[cell] = sent[cell];
      if (store.taps[cell] === sent[cell]) {
        delete store.taps[cell];
        var form = rowFor(cell);
        if (form) {
          markRow(form, false);
          form.dataset.savedGrade = sent[cell];
        }
      }
    });
  }

  function synced(status, answer, sent) {
    var store = load();
    if (answer.receipt) {
      showReceipt(answer.receipt);
      return;
    }
    if (status >= 500) {
      retryLater();
      return;
    }
    failures = 0;
    if (status === 200) {
      dropSent(store, sent);
      save(store);
      describe();
      if (Object.keys(store.taps).length || store.submit) schedule(0);
      return;
    }
    if (status === 422 && answer.errors) {
      // The taps are saved; the ballot is not complete or breaks a rule: the rater decides.
      dropSent(store, sent);
      store.submit = false;
      save(store);
      submitState(answer.errors.join(" "), true);
      banner(answer.errors.join(" "));
      describe();
      return;
    }
    // Refused for good: rating ended, the card was revoked, another card, no card, a tap the
    // form does not have. What the device kept cannot land; say so and keep nothing.
    var lost = Object.keys(store.taps).length;
    var text = (answer.message || "HTTP " + status) + (lost ? " " + message("lost", { n: lost }) : "");
    forget();
    banner(text);
    say(text, true);
    submitState(text, true);
  }

  function queueSubmit() {
    if (kind !== "form") return false;
    var missing = progress();
    if (missing > 0) {
      submitState(message("incomplete", { n: missing }), true);
      return true;
    }
    var store = load();
    store.submit = true;
    save(store);
    submitState(message("queued"), false);
    describe();
    schedule(0);
    return true;
  }

  function submitting(event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-confirm-submit") || kind !== "form") return;
    if (event.defaultPrevented) return; // static/js/app.js held it back (a row not saved)
    var waiting = Object.keys(load().taps).length;
    if (waiting || navigator.onLine === false || load().submit) {
      event.preventDefault();
      event.stopPropagation();
      queueSubmit();
    }
  }

  function show(form, grade) {
    form.querySelectorAll("input[name=grade]").forEach(function (input) {
      input.checked = input.value === grade;
    });
  }

  // A page from the server shows what it holds; the device's copy may be older than the taps
  // saved since, so it shows what the device saw saved. Taps not yet sent go on top of either.
  // 查看未评单位 opens the check page, which needs the server: without a network, or while taps
  // wait on the device (the server's list would be behind), the form itself shows the first row
  // still without a grade.
  function showMissing(event) {
    var link = event.target.closest ? event.target.closest("[data-when-missing] a") : null;
    if (!link) return;
    if (navigator.onLine !== false && !Object.keys(load().taps).length) return;
    event.preventDefault();
    var first = null;
    rows().forEach(function (form) {
      if (!first && !checked(form)) first = form;
    });
    if (!first) return;
    var unit = first.closest(".rate-unit") || first;
    unit.scrollIntoView({ block: "center" });
    var grade = first.querySelector("input[name=grade]");
    if (grade) grade.focus({ preventScroll: true });
  }

  function startForm() {
    var store = load();
    var copy = body.dataset.servedFrom === "device";
    rows().forEach(function (form) {
      var cell = cellOf(form);
      if (copy && store.grades[cell] !== undefined) {
        show(form, store.grades[cell]);
        var state = form.querySelector(".save-state");
        if (state && !state.textContent) state.textContent = message("row-saved");
      } else if (!copy && checked(form)) {
        store.grades[cell] = checked(form);
      }
      if (store.taps[cell] === undefined) return;
      show(form, store.taps[cell]);
      markRow(form, true);
    });
    save(store); // drops what another card left
    progress();
    if (store.submit) submitState(message("queued"), false);
    describe();
    if (Object.keys(store.taps).length || store.submit) schedule(0);
  }

  // ------------------------------------------------------------ the live page

  var lastButton = null;

  function queueForm(form) {
    var fields = [];
    form.querySelectorAll("input, textarea, select").forEach(function (field) {
      if (!field.name || field.disabled) return;
      if ((field.type === "checkbox" || field.type === "radio") && !field.checked) return;
      fields.push([field.name, field.value]);
    });
    if (lastButton && lastButton.form === form && lastButton.name) {
      fields.push([lastButton.name, lastButton.value]);
    }
    var store = load();
    store.outbox.push({ action: form.action, fields: fields });
    save(store);
    var note = form.querySelector(".device-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "notice warn device-note";
      note.setAttribute("role", "status");
      form.appendChild(note);
    }
    note.textContent = message("kept");
    form.querySelectorAll("button").forEach(function (button) {
      button.disabled = true;
    });
    schedule(0);
  }

  function sendOutbox() {
    var store = load();
    if (syncing || !store.outbox.length) return;
    syncing = true;
    var item = store.outbox[0];
    var data = new URLSearchParams();
    item.fields.forEach(function (pair) {
      data.append(pair[0], pair[1]);
    });
    post(item.action, data).then(
      function (response) {
        syncing = false;
        if (response.status >= 500) {
          retryLater();
          return;
        }
        failures = 0;
        var left = load();
        left.outbox.shift();
        save(left);
        var refusal = response.status >= 400 ? response.text() : Promise.resolve("");
        refusal.then(function (text) {
          // The server said no (the vote closed meanwhile, the question was too long): said
          // on the page that comes next.
          if (text) remember(text.slice(0, 300));
          if (left.outbox.length) schedule(0);
          else window.location.reload(); // the page as the server now has it
        });
      },
      function () {
        syncing = false;
        retryLater();
      }
    );
  }

  var NOTICE = "huiji-device-notice";

  function remember(text) {
    try {
      var before = window.sessionStorage.getItem(NOTICE);
      window.sessionStorage.setItem(NOTICE, before ? before + " " + text : text);
    } catch (error) {
      banner(text);
    }
  }

  function recall() {
    try {
      var text = window.sessionStorage.getItem(NOTICE);
      window.sessionStorage.removeItem(NOTICE);
      if (text) banner(text);
    } catch (error) {
      // nothing kept
    }
  }

  function isQueued(form) {
    return kind === "live" && form && form.hasAttribute && form.hasAttribute("hx-post");
  }

  function describeLive(online) {
    var waiting = load().outbox.length;
    if (waiting) say(message("kept"), true);
    else if (!online) say(message("polling"), true);
    else if (body.dataset.servedFrom === "device") say(message("copy"), true);
    else say("", false);
  }

  // A polled fragment (the vote panel) that could not be fetched: the page shows what it last
  // had, and says so, instead of "nothing was saved".
  function isPoll(elt) {
    var trigger = elt.getAttribute && elt.getAttribute("hx-trigger");
    return Boolean(trigger && trigger.indexOf("every") !== -1 && elt.hasAttribute("hx-get"));
  }

  // ------------------------------------------------------------ wiring

  // Called by static/js/app.js when a request could not be sent: true when this device keeps
  // it and sends it later, so app.js neither retries it nor says it was lost.
  window.huijiDevice = {
    keeps: function (elt) {
      if (!elt || !elt.hasAttribute) return false;
      if (isPoll(elt)) {
        if (kind === "live") describeLive(false);
        return true;
      }
      if (kind === "form" && elt.hasAttribute("data-autosave")) return holdsTap(elt);
      if (kind === "form" && elt.hasAttribute("data-confirm-submit")) return queueSubmit();
      if (isQueued(elt)) {
        queueForm(elt);
        return true;
      }
      return false;
    },
  };

  if (body.hasAttribute("data-device-forget")) forget();

  if (body.dataset.serviceWorker && navigator.serviceWorker) {
    var path = window.location.pathname;
    navigator.serviceWorker
      .register(body.dataset.serviceWorker)
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(function (registration) {
        var worker = registration.active;
        // A page loaded while the worker was starting is not yet its client: ask it to claim.
        if (worker && !navigator.serviceWorker.controller) worker.postMessage("claim");
        if (!worker || !kind || body.dataset.servedFrom !== "network") return null;
        return window.caches.match(path, { cacheName: PAGES }).then(function (kept) {
          // This page came before the worker took over (a card's first page usually does):
          // the worker fetches a copy of its own.
          if (!kept) worker.postMessage({ keep: path });
        });
      })
      .catch(function () {
        // No worker (plain HTTP on a hall's LAN, an old browser): the pages work as before,
        // only a reload without a network cannot show them.
      });
  }

  if (kind === "form") {
    document.addEventListener("change", tapped, true);
    document.addEventListener("submit", submitting, true);
    document.addEventListener("htmx:beforeRequest", beforeTap);
    document.addEventListener("htmx:afterRequest", afterTap);
    document.addEventListener("click", showMissing);
    startForm();
  } else if (kind === "live") {
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button[type=submit]") : null;
      if (button) lastButton = button;
    });
    document.addEventListener(
      "submit",
      function (event) {
        if (navigator.onLine !== false || !isQueued(event.target)) return;
        event.preventDefault();
        event.stopPropagation();
        queueForm(event.target);
      },
      true
    );
    document.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail && event.detail.successful) describeLive(true);
    });
    describeLive(navigator.onLine !== false);
    recall();
    if (load().outbox.length) schedule(0);
  }

  document.addEventListener("click", function (event) {
    // 换一张评议卡 / 下一位评议人: the next rater starts with nothing of this card here.
    var button = event.target.closest ? event.target.closest(".rate-leave button") : null;
    if (button) forget();
  });

  window.addEventListener("online", function () {
    failures = 0;
    schedule(0);
  });
  window.addEventListener("offline", function () {
    if (kind === "form") describe();
  });
})();
