/* Today's "I'll be there" / "I need another time": the answer goes through the outbox, so a
 * tap with no signal is kept on the phone and sent when the network returns. Without
 * JavaScript the form posts the plain way. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-appointment-reply]");
  if (!form) return;
  var queued = document.getElementById("reply-queued");
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter && event.submitter.name ? event.submitter : null;
    if (!self.AftercareOutbox || !submitter) return; // the plain form post still works
    event.preventDefault();
    self.AftercareOutbox.submitForm(form, {
      queued: queued,
      submitter: submitter,
      show: function () { return [document.createTextNode(queued.getAttribute("data-text"))]; },
    });
  });
})();
