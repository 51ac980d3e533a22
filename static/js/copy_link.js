/* The clinician's Copy button beside a one-time link: it copies the link and says so, on screen
 * and to screen readers. Without this script (or a clipboard) the button stays hidden and the
 * link can still be selected and copied by hand. */
(function () {
  "use strict";

  var button = document.querySelector("button[data-copy]");
  var link = button && document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById("copy-status");
  if (!link || !status || !navigator.clipboard || !navigator.clipboard.writeText) return;

  function say(words) {
    // Emptied first, so that a second copy is announced again.
    status.textContent = "";
    setTimeout(function () { status.textContent = words; }, 50);
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(link.href).then(
      function () { say("Copied."); },
      function () { say("Could not copy: select the link and copy it instead."); }
    );
  });
})();
