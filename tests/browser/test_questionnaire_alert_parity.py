"""The browser's questionnaire alerts must agree with Python's on every case.

static/js/questionnaire_alerts.js is run over the shared case table
(tests/care/questionnaire_alert_cases.py) as tests/browser/test_triage_parity.py runs triage.js;
then each questionnaire's real page, as the phone has it (the rules serialised into it, its
scripts, the help below each item), is driven through every case of its instrument.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from aftercare.care.questionnaire_alerts import ItemAlert, raised, rules_for_browser
from tests.care.questionnaire_alert_cases import CASES, CLINIC_EXAMPLE, INSTRUMENTS, Case

pytestmark = pytest.mark.browser

ALERTS_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "questionnaire_alerts.js"

RUN_RULES = """([rules, answers]) => AftercareQuestionnaireAlerts.raised(rules, answers)
    .map((rule) => [rule.reason, rule.shows])"""

# Answer as the patient would, case after case, and read the help shown below each item.
ANSWER_ON_THE_PAGE = """(cases) => {
    const form = document.getElementById("questionnaire-form");
    return cases.map((answers) => {
        form.reset();
        let last = form;
        for (const [item, value] of Object.entries(answers)) {
            if (value === null) continue;
            last = form.querySelector(`input[name="item-${item}"][value="${value}"]`);
            last.checked = true;
        }
        last.dispatchEvent(new Event("change", {bubbles: true}));
        const shown = {};
        form.querySelectorAll("[data-alert-item]").forEach((region) => {
            const help = region.querySelector(".action");
            shown[region.dataset.alertItem] = help && {
                help: region.dataset.showing, title: help.querySelector("h2").textContent,
            };
        });
        return shown;
    });
}"""


def in_python(rules: Sequence[ItemAlert], answers: dict[int, int | None]) -> list[list[str]]:
    """Python's raised(), in the shape the browser returns."""
    return [[rule.reason, rule.shows] for rule in raised(rules, answers)]


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    page = browser.new_page()
    page.goto("about:blank")
    page.add_script_tag(path=str(ALERTS_JS))
    yield page
    page.close()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_browser_raises_each_case_as_python_does(page: Page, case: Case) -> None:
    rules = INSTRUMENTS[case.instrument].scoring.alerts

    in_browser = page.evaluate(RUN_RULES, [rules_for_browser(rules), case.answers_as_json()])

    assert in_browser == in_python(rules, case.answers)
    assert in_browser == [
        [reason, rule.shows] for reason in case.reasons for rule in rules if rule.reason == reason
    ]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_browser_orders_alerts_as_python_does_in_a_reversed_table(
    page: Page, case: Case
) -> None:
    # Reversing the table makes the sort by urgency, not the table order, do the work.
    rules = tuple(reversed(INSTRUMENTS[case.instrument].scoring.alerts))

    in_browser = page.evaluate(RUN_RULES, [rules_for_browser(rules), case.answers_as_json()])

    assert in_browser == in_python(rules, case.answers)


@pytest.fixture
def live_server_config(tmp_path: Path) -> dict[str, Any]:
    """The live server offers the clinic's own instrument of the case table too."""
    folder = tmp_path / "clinic-instruments"
    folder.mkdir()
    (folder / "mood3.json").write_text(json.dumps(CLINIC_EXAMPLE), encoding="utf-8")
    return {"INSTRUMENTS_DIR": str(folder)}


@pytest.mark.parametrize("instrument_id", sorted({case.instrument for case in CASES}))
def test_each_questionnaire_page_shows_the_help_python_raises_for_every_case(
    enrolled: Page, instrument_id: str
) -> None:
    page = enrolled
    instrument = INSTRUMENTS[instrument_id]
    cases = [case for case in CASES if case.instrument == instrument_id]
    page.goto(f"/questionnaires/{instrument_id}")
    # The page carries the rules exactly as Python reads them from the definition.
    page_rules = page.evaluate(
        "() => JSON.parse(document.getElementById('alert-rules').textContent)"
    )
    assert page_rules == rules_for_browser(instrument.scoring.alerts)

    shown = page.evaluate(ANSWER_ON_THE_PAGE, [case.answers_as_json() for case in cases])

    titles = {"crisis": "Call or text 988 now", "call_clinic": "Call the clinic"}
    items = sorted({rule.item for rule in instrument.scoring.alerts})
    expected = []
    for case in cases:
        below = {}
        for item in items:
            # Each item's own rules decide the help right below it.
            own = [rule for rule in instrument.scoring.alerts if rule.item == item]
            first = next(iter(raised(own, case.answers)), None)
            below[str(item)] = first and {"help": first.shows, "title": titles[first.shows]}
        expected.append(below)
    assert dict(zip([case.id for case in cases], shown, strict=True)) == dict(
        zip([case.id for case in cases], expected, strict=True)
    )
