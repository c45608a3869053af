// huiji-review: progress for a file that takes a moment to make. A file sent as an attachment
// leaves the page as it was, so without this nothing shows that the click was taken.
//
// A link marked data-download (the 通报, made in the request: docs/results.md) gets a one-time
// token in its URL and shows its data-busy text; the server answers with a cookie naming the
// token (scoring/views.py, DOWNLOAD_COOKIE) as the file starts, and the link returns to normal
// when that cookie appears.
//
// A form marked data-download (the working copy with its report cards, made off the request:
// docs/results.md, "PDFs in the background") starts a job and opens the job's page, which shows
// the progress from there; until that page arrives its button is busy and a second click is not
// sent (the server would give the same job anyway). Coming back to the page through the
// browser's history shows it ready again.
(function () {
  "use strict";
  var COOKIE = "huiji_download";
  var POLL_MS = 250;
  var GIVE_UP_MS = 120000;

  function cookieValue() {
    var match = document.cookie.match(new RegExp("(?:^|; )" + COOKIE + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function clearCookie() {
    document.cookie = COOKIE + "=; Max-Age=0; Path=/; SameSite=Lax";
  }

  function statusOf(element) {
    return element.dataset.status ? document.getElementById(element.dataset.status) : null;
  }

  function busy(element, status, text) {
    element.classList.add("is-busy");
    element.setAttribute("aria-busy", "true");
    if (status) {
      status.textContent = text || "";
      status.hidden = false;
    }
  }

  function finish(element, status) {
    element.classList.remove("is-busy");
    element.removeAttribute("aria-busy");
    if (status) {
      status.textContent = "";
      status.hidden = true;
    }
  }

  function start(link) {
    if (link.classList.contains("is-busy")) return false;
    var token = String(Date.now()) + String(Math.floor(Math.random() * 1e6));
    var url = new URL(link.href, window.location.href);
    url.searchParams.set("download_token", token);
    link.href = url.toString();
    var status = statusOf(link);
    busy(link, status, link.dataset.busy);
    var started = Date.now();
    var timer = window.setInterval(function () {
      if (cookieValue() === token || Date.now() - started > GIVE_UP_MS) {
        window.clearInterval(timer);
        clearCookie();
        finish(link, status);
      }
    }, POLL_MS);
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-download]") : null;
    if (!link) return;
    if (!start(link)) event.preventDefault(); // a second click while the file is being made
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-download]")) return;
    var button = form.querySelector("button[type=submit]");
    if (!button) return;
    if (button.classList.contains("is-busy")) {
      event.preventDefault(); // a second click while the first is on its way
      return;
    }
    busy(button, statusOf(form), form.dataset.busy);
  });

  // A page restored from the back-forward cache keeps the busy state it was left in.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    var buttons = document.querySelectorAll("form[data-download] button.is-busy");
    for (var i = 0; i < buttons.length; i++) {
      finish(buttons[i], statusOf(buttons[i].form));
    }
  });
})();
