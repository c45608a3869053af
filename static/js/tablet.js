// 现场问政 on a representative's tablet (templates/meeting/tablet.html): a live character
// counter under the question box. The server checks the length again; this only helps.
(function () {
  "use strict";

  function counterFor(textarea) {
    return document.querySelector('[data-counter-for="' + textarea.id + '"]');
  }

  function update(textarea) {
    var counter = counterFor(textarea);
    if (!counter) return;
    var max = Number(textarea.getAttribute("maxlength") || 0);
    var n = textarea.value.length;
    counter.textContent = max ? n + " / " + max : String(n);
    counter.classList.toggle("over", max > 0 && n > max);
  }

  function updateAll(root) {
    var boxes = (root || document).querySelectorAll("textarea[data-counter]");
    for (var i = 0; i < boxes.length; i++) update(boxes[i]);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-counter]")) update(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () { updateAll(document); });
  // The form comes back from the server after each question (htmx swaps it).
  document.addEventListener("htmx:afterSettle", function () { updateAll(document); });
})();
