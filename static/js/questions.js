// 现场问政, the moderator's queue (templates/meeting/questions.html). The board polls every
// 5 s and each poll replaces it; a poll is skipped while the moderator is using it (typing a
// reason or a summary, a form unfolded, a choice made in a list), so nothing typed is lost.
// After the moderator's own action the board comes back fresh from the server anyway.
(function () {
  "use strict";

  function changed(field) {
    if (field.tagName === "SELECT") {
      for (var i = 0; i < field.options.length; i++) {
        if (field.options[i].selected !== field.options[i].defaultSelected) return true;
      }
      return false;
    }
    return field.value !== field.defaultValue;
  }

  function inUse(root) {
    var active = document.activeElement;
    if (active && root.contains(active) && active.matches("input, textarea, select")) return true;
    // A form the moderator unfolded (reject, merge, answer).
    if (root.querySelector("details.q-form[open]")) return true;
    var fields = root.querySelectorAll("input[type=text], textarea, select");
    for (var i = 0; i < fields.length; i++) if (changed(fields[i])) return true;
    return false;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt.hasAttribute || !elt.hasAttribute("data-poll")) return;
    if (event.detail.requestConfig && event.detail.requestConfig.verb !== "get") return;
    if (inUse(elt)) event.preventDefault();
  });
})();
