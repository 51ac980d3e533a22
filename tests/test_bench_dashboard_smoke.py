"""The dashboard benchmark still runs: a small run, checked for correctness, never for speed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_dashboard_benchmark_builds_both_clinics_checks_the_pages_and_prints_its_figures():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "dashboard.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
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
