// huiji-review: progress for a download that takes a moment to make (the results PDF with a
// report card per unit, docs/benchmarks.md). A file sent as an attachment leaves the page as it
// was, so without this nothing shows that the click was taken. A link marked data-download
// gets a one-time token in its URL and shows its data-busy text; the server answers with a
// cookie naming the token (scoring/views.py, DOWNLOAD_COOKIE) as the file starts, and the link
// returns to normal when that cookie appears.
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

  function finish(link, status) {
    link.classList.remove("is-busy");
    link.removeAttribute("aria-busy");
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
    var status = link.dataset.status ? document.getElementById(link.dataset.status) : null;
    link.classList.add("is-busy");
    link.setAttribute("aria-busy", "true");
    if (status) {
      status.textContent = link.dataset.busy || "";
      status.hidden = false;
    }
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
})();
