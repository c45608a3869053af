// The rater's entry page (templates/rate/entry_form.html). A card's QR code opens /r/#CODE: the
// code is in the fragment, which browsers never send, so it reaches no access log and no
// Referer (docs/anonymity.md, "Logs"). This script takes it out of the address bar and the
// history, puts it in the code field and posts the form; the server answers with the card's
// cookie and the form.
(function () {
  "use strict";

  function enter() {
    var code = window.location.hash.slice(1);
    if (!code) return;
    try {
      code = decodeURIComponent(code);
    } catch (error) {
      // A malformed %-escape: post it as it is, the server says the code is not valid.
    }
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    var form = document.querySelector("form[data-code-entry]");
    var field = form && form.querySelector("input[name='code']");
    if (!field) return;
    field.value = code;
    form.submit();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enter);
  } else {
    enter();
  }
  // A card scanned while this page is open only changes the fragment: no new page loads.
  window.addEventListener("hashchange", enter);
})();
