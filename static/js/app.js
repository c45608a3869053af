// huiji-review: the only hand-written script. It makes htmx failures visible: a request that
// could not be sent (venue Wi-Fi dropped) or a server error must never look like success.
(function () {
  "use strict";
  function banner(text) {
    var box = document.getElementById("htmx-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
  }
  document.addEventListener("htmx:sendError", function () {
    banner(document.body.dataset.msgOffline || "Network error: nothing was saved.");
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    banner((document.body.dataset.msgError || "Server error") + " (HTTP " + status + ")");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("htmx-error");
    if (box) box.hidden = true;
  });
})();
