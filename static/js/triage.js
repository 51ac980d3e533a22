/*
 * Triage of a check-in in the browser: the same evaluator as aftercare/care/triage.py, over the
 * same rule table (rules_for_browser()), so that a patient with no signal is still told at once
 * to call 911 or 988. Keep the two identical; tests/browser/test_triage_parity.py checks it.
 *
 * Plain ES2017 with no DOM, so it runs in a page and in the service worker alike.
 *
 * A rule matches when ALL of its conditions that are set hold:
 *   symptoms        ANY of these codes is answered at least min_severity (missing counts as 0)
 *   vitals_at_least ANY of these readings is at least its threshold (missing never matches)
 *   min_hours       at least this many hours since the infusion ended (unknown never matches)
 *   unless          NONE of these rules' own conditions hold (codes not in the table ignored)
 */
(function (global) {
  "use strict";

  var LEVEL_RANKS = { expected: 0, call_clinic: 1, crisis: 2, emergency: 3 };
  var hasOwn = Object.prototype.hasOwnProperty;

  function isNumber(value) {
    return typeof value === "number" && !isNaN(value);
  }

  // Own properties only, so that a code such as "constructor" never reads the prototype.
  function severity(answers, code) {
    var severities = answers.severities || {};
    if (!hasOwn.call(severities, code)) return 0;
    var value = severities[code];
    return isNumber(value) ? value : 0;
  }

  function reading(answers, vital) {
    if (!hasOwn.call(answers, vital)) return null;
    var value = answers[vital];
    return isNumber(value) ? value : null;
  }

  function conditionsHold(conditions, answers, hours) {
    var symptoms = conditions.symptoms || [];
    if (symptoms.length > 0) {
      var minSeverity = conditions.min_severity;
      var anySymptom = symptoms.some(function (code) {
        return severity(answers, code) >= minSeverity;
      });
      if (!anySymptom) return false;
    }
    var vitals = conditions.vitals_at_least || {};
    var vitalNames = Object.keys(vitals);
    if (vitalNames.length > 0) {
      var anyVital = vitalNames.some(function (vital) {
        var value = reading(answers, vital);
        return value !== null && value >= vitals[vital];
      });
      if (!anyVital) return false;
    }
    var minHours = conditions.min_hours;
    if (minHours === null || minHours === undefined) return true;
    return isNumber(hours) && hours >= minHours;
  }

  function rankOf(level) {
    if (!hasOwn.call(LEVEL_RANKS, level)) throw new Error("Unknown triage level: " + level);
    return LEVEL_RANKS[level];
  }

  /** Apply a rule table to one check-in; returns {level, reasons} as Python's triage() does. */
  function triage(rules, answers, hoursSinceInfusion) {
    var holds = Object.create(null);
    rules.forEach(function (rule) {
      holds[rule.code] = conditionsHold(rule.conditions, answers, hoursSinceInfusion);
    });
    var matched = [];
    rules.forEach(function (rule, index) {
      var unless = rule.conditions.unless || [];
      var excluded = unless.some(function (code) {
        return hasOwn.call(holds, code) && holds[code];
      });
      if (holds[rule.code] && !excluded) {
        matched.push({ index: index, rank: rankOf(rule.level), rule: rule });
      }
    });
    // Most urgent first; the table's own order breaks ties (explicitly: ES2017 sort may be
    // unstable).
    matched.sort(function (a, b) {
      return b.rank - a.rank || a.index - b.index;
    });
    if (matched.length === 0) return { level: "expected", reasons: [] };
    return {
      level: matched[0].rule.level,
      reasons: matched.map(function (item) {
        return item.rule.code;
      }),
    };
  }

  global.AftercareTriage = { triage: triage };
})(globalThis);
