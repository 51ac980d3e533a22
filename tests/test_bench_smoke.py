"""The benchmarks still run: small runs, checked for correctness, never for speed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import SERVER_VARIABLE

ROOT = Path(__file__).resolve().parents[1]


def run_bench(script: str, *args: str, timeout: int) -> subprocess.CompletedProcess[str]:
    """Run bench/<script> with this Python from the project's root, its output captured."""
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_mixed_fanout_benchmark_delivers_push_and_email_exactly_once():
    result = run_bench("mixed_fanout.py", "--quick", timeout=300)
    # The benchmark exits 1 if a reminder was lost or sent twice on a channel.
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "all 200 delivered exactly once (receiver, SMTP server and database)" in out, out
    assert re.search(r"^  pushes +100$", out, re.MULTILINE), out
    assert re.search(r"^  emails +100$", out, re.MULTILINE), out


def test_the_push_fan_out_benchmark_delivers_each_reminder_once_and_prints_its_figures():
    result = run_bench("push_fanout.py", "--quick", timeout=300)
    # The benchmark exits 1 if a reminder was lost, refused or sent twice.
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "all 200 delivered exactly once" in out, out
    for rate in ("deliveries", "encryption only", "plain webpush()", "HTTP alone"):
        assert re.search(rf"^  {re.escape(rate)} +[\d,]+ /s", out, re.MULTILINE), out
    for ratio in ("deliveries / encryption", "webpush() / encryption"):
        assert re.search(rf"^  {re.escape(ratio)} +\d+\.\d\d", out, re.MULTILINE), out
    assert re.search(r"target >= 0\.50: (PASS|FAIL)", out), out


def test_the_dashboard_benchmark_builds_both_clinics_checks_the_pages_and_prints_its_figures():
    result = run_bench("dashboard.py", "--quick", timeout=180)
    # The benchmark exits 1 if a clinic could not be built or a page was wrong.
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"^  machine: \d+ CPUs", out, re.MULTILINE), out
    assert "command: " in out and "bench/dashboard.py --quick" in out, out
    for patients, check_ins in (("100", "5,000"), ("1,000", "50,000")):
        assert re.search(rf"^ +{patients} patients: {check_ins} check-ins, ", out, re.MULTILINE)
        for page in ("dashboard", "patient page"):
            row = rf"^ +{patients}  {page} +\d+\.\d +\d+\.\d +\d+\.\d$"
            assert re.search(row, out, re.MULTILINE), out
    for page in ("dashboard", "patient page"):
        verdict = rf"^  {page} +1,000/100 median ratio \d+\.\d\d  target <= 2\.00: (PASS|FAIL);"
        assert re.search(verdict, out, re.MULTILINE), out
        assert re.search(rf"^  {page} .* target < 150 ms: (PASS|FAIL)$", out, re.MULTILINE), out


@pytest.mark.skipif(
    not os.environ.get(SERVER_VARIABLE),
    reason="needs PostgreSQL: runs once, in the PostgreSQL pass of scripts/test",
)
def test_the_load_benchmark_stores_every_check_in_and_delivers_every_reminder_once():
    result = run_bench(
        "load.py", "--quick", "--database-url", os.environ[SERVER_VARIABLE], timeout=120
    )
    out = result.stdout
    # Exit 1 means a target was missed; speed targets are not this test's business.
    assert result.returncode in (0, 1), out + result.stderr
    for verdict in (
        "no errors",
        "every acknowledged check-in stored, once",
        "every reminder delivered exactly once",
    ):
        assert f"PASS  {verdict}" in out, out
    # Which kinds of request fit in a few seconds depends on the machine; the totals always do.
    assert re.search(r"^  all +[\d,]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +0$", out, re.M), out
    assert re.search(r"^  check-in \(closed loop\) +[\d,]+ .* 0$", out, re.M), out
    assert re.search(r"^  check-in / healthz +\d+\.\d\d", out, re.M), out
    assert re.search(r"(PASS|FAIL)  p95 under 300 ms", out), out
