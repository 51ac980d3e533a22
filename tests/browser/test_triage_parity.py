"""The browser's triage (static/js/triage.js) must agree with Python's on every case."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from aftercare.care.triage import RULES, evaluate, rules_for_browser, triage
from tests.care.triage_cases import CASES, Case

pytestmark = pytest.mark.browser

TRIAGE_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "triage.js"

RUN_TRIAGE = "([rules, answers, hours]) => AftercareTriage.triage(rules, answers, hours)"


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    page = browser.new_page()
    page.goto("about:blank")
    page.add_script_tag(path=str(TRIAGE_JS))
    yield page
    page.close()


def as_json(result: Any) -> dict[str, Any]:
    """A Python TriageResult in the shape the browser returns."""
    return {"level": result.level.value, "reasons": list(result.reasons)}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_browser_triages_each_case_as_python_does(page: Page, case: Case) -> None:
    in_browser = page.evaluate(RUN_TRIAGE, [rules_for_browser(), case.answers, case.hours])

    assert in_browser == as_json(triage(case.check_in_answers(), case.hours))
    assert in_browser == {"level": case.level, "reasons": list(case.reasons)}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_browser_orders_reasons_as_python_does_in_a_reversed_table(
    page: Page, case: Case
) -> None:
    # Reversing the table makes the sort by urgency, not the table order, do the work.
    reversed_rules = list(reversed(rules_for_browser()))

    in_browser = page.evaluate(RUN_TRIAGE, [reversed_rules, case.answers, case.hours])

    expected = evaluate(tuple(reversed(RULES)), case.check_in_answers(), case.hours)
    assert in_browser == as_json(expected)


def test_the_browser_triage_runs_without_a_dom(page: Page) -> None:
    # The service worker has no window or document: run the script in a worker to prove it.
    result = page.evaluate(
        """async ([source, rules, answers]) => {
            const body = source + `
                onmessage = (event) => postMessage(
                    AftercareTriage.triage(event.data.rules, event.data.answers, 1));`;
            const url = URL.createObjectURL(new Blob([body], {type: "text/javascript"}));
            const worker = new Worker(url);
            const reply = new Promise((resolve, reject) => {
                worker.onmessage = (event) => resolve(event.data);
                worker.onerror = (event) => reject(new Error(event.message));
            });
            worker.postMessage({rules, answers});
            try { return await reply; } finally { worker.terminate(); }
        }""",
        [
            TRIAGE_JS.read_text(encoding="utf-8"),
            rules_for_browser(),
            {"severities": {"chest_pain": 1}, "systolic": None, "diastolic": None},
        ],
    )

    assert result == {"level": "emergency", "reasons": ["chest_pain"]}
