/* A questionnaire: a crisis answer shows its next step at once; the answers are kept on the
 * phone and sent now or when the network returns, like a check-in (see outbox.js). */
(function () {
  "use strict";

  var form = document.getElementById("questionnaire-form");
  if (!form) return;
  var alertNow = document.getElementById("alert-now");
  var queued = document.getElementById("queued-result");
  var items = JSON.parse(form.getAttribute("data-alerts") || "[]");
  var above = JSON.parse(form.getAttribute("data-alert-above") || "[]");

  function alerting() {
    return items.some(function (item, i) {
      var chosen = form.querySelector('input[name="item-' + item + '"]:checked');
      return chosen && parseInt(chosen.value, 10) > above[i];
    });
  }

  form.addEventListener("change", function () { alertNow.hidden = !alerting(); });

  form.addEventListener("submit", function (event) {
    if (!self.AftercareOutbox || !self.indexedDB) return; // the plain form post still works
    event.preventDefault();
    if (!form.reportValidity()) return;
    var fields = {};
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && name !== "idempotency_key" && name !== "filled_at") fields[name] = value;
    });
    var item = {
      key: AftercareOutbox.newKey(),
      url: form.getAttribute("action"),
      fields: fields,
      csrf_token: form.elements.csrf_token.value,
      filled_at: new Date().toISOString(),
      created_at: new Date().toISOString(),
      status: "waiting",
    };
    var crisis = alerting();
    form.querySelector("button[type=submit]").disabled = true;
    AftercareOutbox.put(item).then(function () { return AftercareOutbox.sendOne(item); }).then(function (outcome) {
      if (outcome === "sent") { location.assign(item.result_url); return; }
      form.hidden = true;
      queued.textContent = "";
      if (crisis) queued.appendChild(alertNow.cloneNode(true)).hidden = false;
      var note = document.createElement("p");
      note.className = "outbox__item outbox__item--waiting";
      note.textContent = self.AftercareText("answers_queued");
      queued.appendChild(note);
      queued.hidden = false;
      queued.focus();
    });
  });
})();
