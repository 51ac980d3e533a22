/* A questionnaire: an answer that raises an alert shows its help at once, right below the
 * question, scrolled into view and announced; the outbox keeps the answers on the phone and
 * sends them now or when the network returns (see outbox.js). The rules come from the
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

  /* Shown in place of the form while the answers wait: the help they raise, and that they wait. */
  function whileQueued(help) {
    var note = document.createElement("p");
    note.className = "outbox__item outbox__item--waiting";
    note.textContent = self.AftercareText("answers_queued");
    return help ? [helpContent(help), note] : [note];
  }

  form.addEventListener("submit", function (event) {
    if (!self.AftercareOutbox) return; // the plain form post still works
    event.preventDefault();
    if (!form.reportValidity()) return;
    var help = helpFor(AftercareQuestionnaireAlerts.raised(rules, answers()));
    AftercareOutbox.submitForm(form, { queued: queued, show: function () { return whileQueued(help); } });
  });

  update(null); // answers the server sent back with an error, or the browser restored
})();
