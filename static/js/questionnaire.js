/* A questionnaire: an answer that raises an alert shows its help at once, right below the
 * question, scrolled into view and announced; the answers are kept on the phone and sent now
 * or when the network returns, like a check-in (see outbox.js). The rules come from the
 * instrument's definition, in this page, and AftercareQuestionnaireAlerts evaluates them, so
 * all of this works offline. */
(function () {
  "use strict";

  var form = document.getElementById("questionnaire-form");
  if (!form) return;
  var queued = document.getElementById("queued-result");
  var rulesNode = document.getElementById("alert-rules");
  var rules = rulesNode ? JSON.parse(rulesNode.textContent) : [];
  var regions = form.querySelectorAll("[data-alert-item]");

  /* The answers chosen so far, keyed by item number as text (as the evaluator takes them). */
  function answers() {
    var chosen = {};
    form.querySelectorAll('input[type=radio][name^="item-"]:checked').forEach(function (input) {
      chosen[input.name.slice("item-".length)] = parseInt(input.value, 10);
    });
    return chosen;
  }

  /* The help the most urgent raised rule shows, or null. */
  function helpFor(raised) {
    return raised.length ? raised[0].shows : null;
  }

  function helpContent(key) {
    var template = document.getElementById("help-" + key);
    return template ? document.importNode(template.content, true) : document.createTextNode("");
  }

  /* Each item with rules has its own region, just below it, showing the help its rules raise.
   * A region is only rewritten when its help changes, so it is announced once. */
  function update(answered) {
    var chosen = answers();
    regions.forEach(function (region) {
      var item = parseInt(region.getAttribute("data-alert-item"), 10);
      var own = rules.filter(function (rule) { return rule.item === item; });
      var key = helpFor(AftercareQuestionnaireAlerts.raised(own, chosen));
      if ((region.getAttribute("data-showing") || null) === key) return;
      region.textContent = "";
      if (key) {
        region.setAttribute("data-showing", key);
        region.appendChild(helpContent(key));
        // Where the patient is looking: the help may have appeared below the bottom of the screen.
        if (answered === item) region.scrollIntoView({ block: "nearest" });
      } else {
        region.removeAttribute("data-showing");
      }
    });
  }

  form.addEventListener("change", function (event) {
    var match = /^item-(\d+)$/.exec(event.target.name || "");
    update(match ? parseInt(match[1], 10) : null);
  });

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
    var help = helpFor(AftercareQuestionnaireAlerts.raised(rules, answers()));
    form.querySelector("button[type=submit]").disabled = true;
    AftercareOutbox.put(item).then(function () { return AftercareOutbox.sendOne(item); }).then(function (outcome) {
      if (outcome === "sent") { location.assign(item.result_url); return; }
      form.hidden = true;
      queued.textContent = "";
      if (help) queued.appendChild(helpContent(help));
      var note = document.createElement("p");
      note.className = "outbox__item outbox__item--waiting";
      note.textContent = self.AftercareText("answers_queued");
      queued.appendChild(note);
      queued.hidden = false;
      queued.focus();
    });
  });

  update(null); // answers the server sent back with an error, or the browser restored
})();
