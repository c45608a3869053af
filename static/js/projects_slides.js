// The big screen's project slideshow (templates/projects/_screen_slides.html): show one page at a
// time and turn to the next every data-interval ms (8 s). Works on the first load and on every
// htmx swap that brings a new slideshow in (a swapped-out one stops its timer).
(function () {
  "use strict";

  function start(root) {
    if (root.dataset.started) return;
    root.dataset.started = "1";
    var pages = root.querySelectorAll(".slide-page");
    root.classList.add("js-slides");
    if (pages.length < 2) return;
    var current = 0;
    var interval = Number(root.dataset.interval) || 8000;
    var timer = window.setInterval(function () {
      if (!root.isConnected) {
        window.clearInterval(timer);
        return;
      }
      pages[current].classList.remove("is-current");
      current = (current + 1) % pages.length;
      pages[current].classList.add("is-current");
    }, interval);
  }

  function scan(node) {
    if (!node || !node.querySelectorAll) return;
    if (node.matches && node.matches("[data-project-slides]")) start(node);
    node.querySelectorAll("[data-project-slides]").forEach(start);
  }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (event) { scan(event.detail && event.detail.elt); });
})();
