// huiji-review: the only hand-written script. It makes htmx failures visible, and retries the
// rating form's autosave: a request that could not be sent (venue Wi-Fi dropped) or a server
// error must never look like success.
(function () {
  "use strict";
  var MAX_RETRIES = 5;
  var RETRY_MS = 2000;

  function banner(text) {
    var box = document.getElementById("htmx-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
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

  document.addEventListener("htmx:sendError", function (event) {
    banner(document.body.dataset.msgOffline || "Network error: nothing was saved.");
    var form = autosaveForm(event);
    if (form) retry(form);
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    banner((document.body.dataset.msgError || "Server error") + " (HTTP " + status + ")");
    var form = autosaveForm(event);
    if (form && status >= 500) retry(form);
    // Refused and not swapped (403, 404, 429…): the row must not keep reading "已保存".
    else if (form) markUnsaved(form, document.body.dataset.msgGaveUp || "Not saved: tap again.");
  });
  // The rating form's 确认提交: a tap still on its way (or being retried) must reach the server
  // first, or the ballot would hold the grade before it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-confirm-submit")) return;
    if (document.querySelector("form[data-autosave].unsaved, form[data-autosave].htmx-request")) {
      event.preventDefault();
      banner(document.body.dataset.msgUnsaved || "Some grades are not saved yet.");
    }
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("htmx-error");
    if (box) box.hidden = true;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = autosaveForm(event);
    if (form && event.detail.successful) {
      form.dataset.tries = "0";
      form.classList.remove("unsaved");
      var state = form.querySelector(".save-state");
      if (state) state.classList.remove("unsaved");
    } else if (form && event.detail.xhr && event.detail.xhr.status >= 400) {
      form.classList.add("unsaved");
    }
  });
})();
