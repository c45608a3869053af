// huiji-review: the site's script. It makes htmx failures visible, and retries the rating
// form's autosave and its submission: a request that could not be sent (venue Wi-Fi dropped)
// or a server error must never look like success.
(function () {
  "use strict";
  var MAX_RETRIES = 5;
  var RETRY_MS = 2000;
  // A submission is worth waiting for longer than a tap: a database restart or failover takes
  // a minute or two, sometimes more. 120 tries: 10 minutes of 503s 5 s apart, longer after
  // network errors (up to 15 s apart); then the rater is told to press again.
  var SUBMIT_MAX_RETRIES = 120;
  var SUBMIT_MAX_DELAY_MS = 15000;
  var RETRY_AFTER_MAX_MS = 60000;

  function banner(text) {
    var box = document.getElementById("htmx-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
  }

  // A refusal answered as short text (e.g. "this device holds no card") says more than a status.
  function plainAnswer(xhr) {
    if (!xhr || xhr.status < 400 || xhr.status >= 500) return "";
    var type = xhr.getResponseHeader("Content-Type") || "";
    return type.indexOf("text/plain") === 0 ? String(xhr.responseText || "").slice(0, 300) : "";
  }

  function autosaveForm(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.hasAttribute && elt.hasAttribute("data-autosave") ? elt : null;
  }

  function markUnsaved(form, text) {
    var state = form.querySelector(".save-state");
    if (state) {
      state.textContent = text;
      state.classList.add("unsaved");
    }
    form.classList.add("unsaved");
  }

  // The grade the server holds for a row: the one checked when the row was rendered (from the
  // drafts), then each one it accepted. A tap it refuses (the ballot was submitted meanwhile on
  // another device, the rating ended, the card expired) must not leave its button looking
  // chosen: the row goes back to this grade, or to none.
  function rememberSaved(form) {
    var checked = form.querySelector("input[name=grade]:checked");
    form.dataset.savedGrade = checked ? checked.value : "";
  }

  function restoreSaved(form) {
    var saved = form.dataset.savedGrade || "";
    form.querySelectorAll("input[name=grade]").forEach(function (input) {
      input.checked = input.value === saved;
    });
  }

  document.addEventListener("htmx:load", function (event) {
    var root = event.detail && event.detail.elt;
    if (!root || !root.querySelectorAll) return;
    if (root.hasAttribute && root.hasAttribute("data-autosave")) rememberSaved(root);
    root.querySelectorAll("form[data-autosave]").forEach(rememberSaved);
  });

  function retry(form) {
    var tries = Number(form.dataset.tries || 0) + 1;
    form.dataset.tries = String(tries);
    if (tries > MAX_RETRIES) {
      markUnsaved(form, document.body.dataset.msgGaveUp || "Not saved: tap again.");
      return;
    }
    markUnsaved(form, document.body.dataset.msgRetrying || "Not saved, retrying…");
    window.setTimeout(function () { window.htmx.trigger(form, "change"); }, RETRY_MS * tries);
  }

  // 确认提交 (templates/rate/_submit_form.html): the same retries as a tap, longer, and a 503's
  // Retry-After is honoured. A retry is safe: the server answers a card that has submitted
  // with the receipt it already gave.
  function confirmForm(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.hasAttribute && elt.hasAttribute("data-confirm-submit") ? elt : null;
  }

  function submitState(form, text, failed) {
    var state = form.querySelector(".submit-state");
    if (state) {
      state.textContent = text;
      state.classList.toggle("unsaved", Boolean(failed));
    }
  }

  function submitGaveUp(form, text) {
    form.dataset.tries = "0";
    submitState(form, text || form.dataset.msgGaveUp || "Not submitted: press again.", true);
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = false;
  }

  function retrySubmit(form, xhr) {
    var tries = Number(form.dataset.tries || 0) + 1;
    form.dataset.tries = String(tries);
    if (tries > SUBMIT_MAX_RETRIES) {
      submitGaveUp(form);
      banner(form.dataset.msgGaveUp || "Not submitted: press again.");
      return;
    }
    var retrying = form.dataset.msgRetrying || "Not submitted, retrying…";
    submitState(form, retrying, true);
    banner(retrying);
    var delay = Math.min(RETRY_MS * tries, SUBMIT_MAX_DELAY_MS);
    var after = xhr ? Number(xhr.getResponseHeader("Retry-After")) : 0;
    if (after > 0) delay = Math.min(after * 1000, RETRY_AFTER_MAX_MS);
    window.setTimeout(function () {
      if (document.contains(form)) window.htmx.trigger(form, "submit");
    }, delay);
  }

  document.addEventListener("htmx:sendError", function (event) {
    // On a tablet the device keeps what could not be sent and sends it later
    // (static/js/offline.js, docs/tablets.md "Offline"): nothing to retry or report here.
    var elt = event.detail && event.detail.elt;
    if (elt && window.huijiDevice && window.huijiDevice.keeps(elt)) return;
    var submitting = confirmForm(event);
    if (submitting) {
      retrySubmit(submitting, event.detail.xhr);
      return;
    }
    banner(document.body.dataset.msgOffline || "Network error: nothing was saved.");
    var form = autosaveForm(event);
    if (form) retry(form);
  });
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    var submitting = confirmForm(event);
    if (submitting && status >= 500) {
      retrySubmit(submitting, xhr);
      return;
    }
    var answer = plainAnswer(xhr);
    banner(answer || (document.body.dataset.msgError || "Server error") + " (HTTP " + status + ")");
    if (submitting) submitGaveUp(submitting, answer);
    var form = autosaveForm(event);
    if (form && status >= 500) retry(form);
    // Refused and not swapped (403, 404, 429…): the row must not keep reading "已保存".
    else if (form) markUnsaved(form, document.body.dataset.msgGaveUp || "Not saved: tap again.");
  });
  // 确认提交: a tap still on its way (or being retried) must reach the server first, or the
  // ballot would hold the grade before it. Checked while capturing, before htmx sends anything.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!form.hasAttribute || !form.hasAttribute("data-confirm-submit")) return;
      if (document.querySelector("form[data-autosave].unsaved, form[data-autosave].htmx-request")) {
        event.preventDefault();
        event.stopPropagation();
        var unsaved = document.body.dataset.msgUnsaved || "Some grades are not saved yet.";
        banner(unsaved);
        if (Number(form.dataset.tries || 0) > 0) submitGaveUp(form, unsaved);
      }
    },
    true
  );
  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = document.getElementById("htmx-error");
    if (box) box.hidden = true;
    var submitting = confirmForm(event);
    if (submitting) {
      var button = submitting.querySelector("button[type=submit]");
      if (button) button.disabled = true; // a second press would only send the same again
      if (!Number(submitting.dataset.tries || 0)) {
        submitState(submitting, submitting.dataset.msgSending || "Submitting…", false);
      }
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = autosaveForm(event);
    if (!form) return;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status >= 400 && status < 500) {
      // Refused (409: submitted meanwhile on another device, or rating ended; 422; 403…): the
      // tapped button goes back to the grade the server holds. A refusal swapped into the row
      // is also said at the top, where a rater looks when a tap seems to do nothing.
      restoreSaved(form);
      var refusal = form.querySelector(".save-state");
      if (event.detail.successful && refusal) banner(refusal.textContent);
    } else if (event.detail.successful) {
      form.dataset.tries = "0";
      form.classList.remove("unsaved");
      var state = form.querySelector(".save-state");
      if (state) state.classList.remove("unsaved");
      rememberSaved(form);
    } else if (status >= 500) {
      form.classList.add("unsaved");
    }
  });
})();
