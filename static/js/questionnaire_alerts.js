/*
 * Questionnaire alerts in the browser: the same evaluator as aftercare/care/questionnaire_alerts.py,
 * over the same rules (rules_for_browser(), from the instrument's definition), so that a patient
 * with no signal still sees crisis help the moment they choose such an answer. Keep the two
 * identical; tests/browser/test_questionnaire_alert_parity.py checks it.
 *
 * A rule is raised when its item has an answer above `above`; an unanswered item raises
 * nothing. Raised rules come most urgent first (each rule carries its level's rank), the
 * table's own order breaking ties. Plain ES2017 with no DOM.
 */
(function (global) {
  "use strict";

  var hasOwn = Object.prototype.hasOwnProperty;

  // Answers are keyed by item number as text, as JSON keys them. Own properties only.
  function answerTo(answers, item) {
    var key = String(item);
    if (!hasOwn.call(answers, key)) return null;
    var value = answers[key];
    return typeof value === "number" && isFinite(value) ? value : null;
  }

  /** The rules these answers raise, most urgent first: Python's raised(). */
  function raised(rules, answers) {
    var matched = [];
    rules.forEach(function (rule, index) {
      var answer = answerTo(answers, rule.item);
      if (answer !== null && answer > rule.above) matched.push({ index: index, rule: rule });
    });
    // Explicitly by table order after rank: an ES2017 sort may be unstable.
    matched.sort(function (a, b) {
      return b.rule.rank - a.rule.rank || a.index - b.index;
    });
    return matched.map(function (entry) { return entry.rule; });
  }

  global.AftercareQuestionnaireAlerts = { raised: raised };
})(globalThis);
