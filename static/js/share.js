/* Sharing the companion link: the phone's share sheet where there is one (Web Share API), and
 * a Copy button that says, on screen and to screen readers, that the link was copied. Without
 * this script the link and its QR code are still on the page. */
(function () {
  "use strict";

  var link = document.getElementById("companion-link");
  if (!link) return;
  var url = link.href;
  var text = self.AftercareText || function () { return ""; };
  var status = document.getElementById("share-status");

  function say(words) {
    // Emptied first, so the same words said twice are announced twice; then brought into view
    // below the button the patient just tapped.
    status.textContent = "";
    setTimeout(function () {
      status.textContent = words;
      status.scrollIntoView({ block: "nearest" });
    }, 50);
  }

  var share = document.getElementById("share-link");
  if (share && navigator.share) {
    share.hidden = false;
    share.addEventListener("click", function () {
      // Cancelling the share sheet rejects the promise: nothing to say then.
      navigator.share({ text: text("share_text"), url: url }).catch(function () {});
    });
  }

  var copy = document.getElementById("copy-link");
  if (copy && navigator.clipboard && navigator.clipboard.writeText) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(url).then(
        function () { say(text("copied")); },
        function () { say(text("copy_failed")); }
      );
    });
  }
})();
