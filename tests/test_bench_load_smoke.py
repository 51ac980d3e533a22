"""The load benchmark still runs: a short run, checked for correctness, never for speed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import SERVER_VARIABLE

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    not os.environ.get(SERVER_VARIABLE),
    reason="needs PostgreSQL: runs once, in the PostgreSQL pass of scripts/test",
)
def test_the_load_benchmark_stores_every_check_in_and_delivers_every_reminder_once():
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "load.py"),
            "--quick",
            "--database-url",
            os.environ[SERVER_VARIABLE],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
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
