"""The push fan-out benchmark still runs: a small run, checked for correctness, never for speed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_push_fan_out_benchmark_delivers_each_reminder_once_and_prints_its_figures():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "push_fanout.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # The benchmark exits 1 if a reminder was lost, refused or sent twice.
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "all 200 delivered exactly once" in out, out
    for rate in ("deliveries", "encryption only", "plain webpush()", "HTTP alone"):
        assert re.search(rf"^  {re.escape(rate)} +[\d,]+ /s", out, re.MULTILINE), out
    for ratio in ("deliveries / encryption", "webpush() / encryption"):
        assert re.search(rf"^  {re.escape(ratio)} +\d+\.\d\d", out, re.MULTILINE), out
    assert re.search(r"target >= 0\.50: (PASS|FAIL)", out), out
