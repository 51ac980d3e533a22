/* The check-in form: tell the patient at once what to do; the outbox keeps the check-in on the
 * phone and sends it now or as soon as the network is back. Works the same with no connection. */
(function () {
  "use strict";

  var form = document.getElementById("check-in-form");
  var dataNode = document.getElementById("triage-data");
  if (!form || !dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  var live = document.getElementById("triage-now");
  var text = self.AftercareText; // the page's words, in the patient's language (app.js)
  var queued = document.getElementById("queued-result");

  function answers() {
    var severities = {};
    form.querySelectorAll("[data-symptom]").forEach(function (input) {
      var code = input.getAttribute("data-symptom");
      if (input.type === "checkbox") severities[code] = input.checked ? 1 : 0;
      else if (input.type === "radio" && input.checked) severities[code] = parseInt(input.value, 10) || 0;
    });
    function number(name) {
      var value = form.elements[name] && form.elements[name].value.trim();
      return value ? parseInt(value, 10) : null;
    }
    return { severities: severities, systolic: number("systolic"), diastolic: number("diastolic"),
             heart_rate: number("heart_rate") };
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function callButton(href, label, kind) {
    var p = el("p");
    var a = el("a", "btn btn--huge btn--" + kind, label);
    a.href = href;
    p.appendChild(a);
    return p;
  }

  /* The action for a triage result, as on the server's result page. */
  function renderAction(container, result) {
    var level = data.levels[result.level];
    container.textContent = "";
    container.className = "action action--" + result.level;
    container.appendChild(el("h2", "action__title", level.title));
    container.appendChild(el("p", "action__body", level.body));
    var phones = data.phones;
    if (result.level === "emergency") {
      container.appendChild(callButton("tel:" + phones.emergency, text("call", { number: phones.emergency }), "emergency"));
    }
    if (result.level === "crisis" || result.reasons.indexOf("suicidal_thoughts") !== -1) {
      container.appendChild(callButton("tel:" + phones.crisis, text("call", { number: phones.crisis }), "crisis"));
      container.appendChild(callButton("sms:" + phones.crisis, text("text", { number: phones.crisis }), "crisis"));
      if (data.options) container.appendChild(el("p", "", data.options));
    }
    if (result.level === "call_clinic" && phones.clinic) {
      container.appendChild(callButton("tel:" + phones.clinic, text("call_clinic"), "primary"));
    }
    // A rule's own words add to its level's (never repeat them); some have nothing to add.
    var added = result.reasons.map(function (code) { return data.reasons[code]; }).filter(Boolean);
    if (added.length) {
      var list = el("ul", "plain-list");
      added.forEach(function (words) { list.appendChild(el("li", "", words)); });
      container.appendChild(list);
    }
  }

  function evaluate() {
    // Hours are counted now, not when the page was saved: the form may be hours old.
    var ended = data.infusion_ended_at ? Date.parse(data.infusion_ended_at) : null;
    var hours = ended === null ? null : Math.max(0, (Date.now() - ended) / 3600000);
    return AftercareTriage.triage(data.rules, answers(), hours);
  }

  var fastPath = document.getElementById("fast-path");
  var noneOfThese = form.elements.none_of_these;
  var askedAgain = false;

  /* Graded questions with no answer yet (no answer is chosen for the patient). */
  function unanswered() {
    var names = {};
    form.querySelectorAll("input[type=radio][data-symptom]").forEach(function (input) {
      var name = input.name;
      if (!(name in names)) names[name] = false;
      if (input.checked) names[name] = true;
    });
    return Object.keys(names).filter(function (name) { return !names[name]; });
  }

  /* Anything reported: a box ticked, or a graded answer above "No". */
  function reportsSomething() {
    var severities = answers().severities;
    return Object.keys(severities).some(function (code) { return severities[code] > 0; });
  }

  /* Red flags get their next step the moment they are ticked, before anything is sent. */
  function updateLive() {
    var result = evaluate();
    if (result.level === "emergency" || result.level === "crisis") {
      renderAction(live, result);
      live.hidden = false;
    } else {
      live.hidden = true;
    }
    // "I feel fine" would contradict what the patient has just reported.
    if (fastPath) fastPath.hidden = reportsSomething();
  }
  form.addEventListener("change", function (event) {
    // "None of these": the questions still without an answer get "No", in plain sight.
    if (event.target === noneOfThese && noneOfThese.checked) {
      unanswered().forEach(function (name) {
        var no = form.querySelector("input[type=radio][name='" + name + "'][value='0']");
        if (no) no.checked = true;
      });
    }
    updateLive();
  });

  function showError(field, message) {
    var holder = field.closest(".field") || field.parentNode;
    var note = holder.querySelector(".error--js");
    if (!note) { note = el("p", "error error--js"); holder.appendChild(note); }
    note.textContent = message;
    field.setAttribute("aria-invalid", "true");
  }

  function clearErrors() {
    form.querySelectorAll(".error--js").forEach(function (n) { n.remove(); });
    form.querySelectorAll("[aria-invalid=true]").forEach(function (n) { n.setAttribute("aria-invalid", "false"); });
  }

  /* The server checks all of this again; checking here means an offline check-in is good.
   * `feelFine`: the patient tapped "I feel fine". */
  function valid(feelFine) {
    clearErrors();
    var first = null;
    form.querySelectorAll("input[type=number], textarea").forEach(function (field) {
      if (!field.checkValidity()) {
        var min = field.getAttribute("min"), max = field.getAttribute("max");
        showError(field, min && max ? text("number_range", { low: min, high: max }) : field.validationMessage);
        first = first || field;
      }
    });
    var top = form.elements.systolic, bottom = form.elements.diastolic;
    if (top && bottom && !first) {
      if (!!top.value.trim() !== !!bottom.value.trim()) {
        showError(bottom, text("both_numbers")); first = bottom;
      } else if (top.value && parseInt(bottom.value, 10) >= parseInt(top.value, 10)) {
        showError(bottom, text("bottom_smaller")); first = bottom;
      }
    }
    if (first) {
      var folded = first.closest("details");
      if (folded) folded.open = true;
      first.focus();
      return false;
    }
    var allNone = feelFine || (noneOfThese && noneOfThese.checked);
    // As the server: an empty form is a tap on Send by mistake, not "all is well".
    var saysSomething = allNone ||
      form.querySelector("input[type=checkbox]:checked, input[type=radio]:checked") !== null ||
      Array.prototype.some.call(form.querySelectorAll("input[type=number], textarea"), function (field) {
        return field.value.trim() !== "";
      });
    if (!saysSomething) {
      var fine = fastPath && fastPath.querySelector("button");
      if (fine) { fastPath.hidden = false; showError(fine, text("say_something")); fine.focus(); }
      return false;
    }
    // Questions left without an answer are asked once more; an alert is never held back.
    var missing = allNone ? [] : unanswered();
    var alerting = ["emergency", "crisis", "call_clinic"].indexOf(evaluate().level) !== -1;
    if (missing.length && !askedAgain && !alerting) {
      askedAgain = true;
      var heading = document.getElementById("graded-heading");
      var prompt = el("p", "error error--js", text("not_answered"));
      prompt.id = "not-answered";
      heading.parentNode.insertBefore(prompt, heading.nextSibling);
      prompt.tabIndex = -1;
      prompt.focus();
      return false;
    }
    return true;
  }

  /* Shown in place of the form while the check-in waits: what to do now, and that it waits. */
  function whileQueued(result) {
    live.hidden = true;
    var action = el("section");
    renderAction(action, result);
    var again = el("a", "btn btn--plain btn--wide", text("back_to_today"));
    again.href = "/today";
    return [action, el("p", "outbox__item outbox__item--waiting", text("check_in_queued")), again];
  }

  form.addEventListener("submit", function (event) {
    // The button tapped: "I feel fine" sends its own name and value, like a plain form post.
    var submitter = event.submitter && event.submitter.name ? event.submitter : null;
    if (!valid(submitter !== null && submitter.name === "feel_fine")) { event.preventDefault(); return; }
    if (!self.AftercareOutbox) return; // the plain form post still works
    event.preventDefault();
    // What to do now is decided when the patient taps Send, as on the server.
    var result = evaluate();
    AftercareOutbox.submitForm(form, {
      queued: queued, submitter: submitter, show: function () { return whileQueued(result); },
    });
  });

  updateLive();
})();
