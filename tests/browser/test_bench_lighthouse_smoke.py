"""The Lighthouse benchmark's own parts work: it links a phone, and it reads and judges scores.

Lighthouse itself is not run here: it is a benchmark (bench/lighthouse.py), not a test.
"""

from __future__ import annotations

import importlib.util
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from aftercare.cli import enrollment_url
from aftercare.demo import create_demo

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("lighthouse_bench", ROOT / "bench" / "lighthouse.py")
assert spec is not None and spec.loader is not None
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_it_links_a_phone_through_the_enrollment_page_and_gets_its_cookie(live_server):
    with live_server.app.app_context():
        demo = create_demo(7)
        link = enrollment_url(demo.enrollment_token, live_server.url)
    cookie = bench.link_a_phone(link)
    assert "aftercare_device=" in cookie
    today = urllib.request.Request(f"{live_server.url}/today", headers={"Cookie": cookie})
    with urllib.request.urlopen(today) as page:  # a 401 (not linked) would raise
        assert "Your aftercare" in page.read().decode()
    with pytest.raises(urllib.error.HTTPError):  # the link works once
        bench.link_a_phone(link)


def test_lighthouse_gets_the_cookie_the_mobile_defaults_and_no_outside_network():
    command = bench.lighthouse_command("http://127.0.0.1:1/today", "a=1; b=2", Path("r.json"))
    headers = next(arg for arg in command if arg.startswith("--extra-headers="))
    assert json.loads(headers.split("=", 1)[1]) == {"Cookie": "a=1; b=2"}
    flags = next(arg for arg in command if arg.startswith("--chrome-flags="))
    for flag in ("--headless", "--no-sandbox", "--disable-background-networking", "--no-first-run"):
        assert flag in flags
    # Lighthouse's defaults are a phone's: no --preset=desktop, no --form-factor.
    assert not any(
        arg.startswith(("--preset", "--form-factor", "--screenEmulation")) for arg in command
    )


def report(performance: float, accessibility: float, best_practices: float) -> dict:
    scores = {
        "performance": performance,
        "accessibility": accessibility,
        "best-practices": best_practices,
    }
    return {
        "categories": {
            name: {"score": score, "auditRefs": [{"id": f"{name}-audit", "weight": 1}]}
            for name, score in scores.items()
        },
        "audits": {
            f"{name}-audit": {"score": score, "title": f"an audit of {name}"}
            for name, score in scores.items()
        },
    }


@pytest.mark.parametrize(
    ("scores", "short"),
    [
        ((1.0, 1.0, 1.0), []),
        ((0.95, 1.0, 0.95), []),
        ((0.94, 1.0, 1.0), ["performance 0.94 < 0.95"]),
        ((1.0, 0.99, 1.0), ["accessibility 0.99 < 1.00"]),
        ((1.0, 1.0, 0.9), ["best-practices 0.90 < 0.95"]),
    ],
)
def test_it_reads_the_three_scores_and_names_each_missed_target(scores, short):
    read = bench.scores_in(report(*scores))
    assert read == dict(zip(bench.CATEGORIES, scores, strict=True))
    assert bench.missed(read) == short


def test_it_says_which_audits_cost_points():
    assert bench.failed_audits(report(1.0, 0.9, 1.0)) == [
        "accessibility: accessibility-audit (0.9) an audit of accessibility"
    ]
