"""The screenshot script still walks every page: each file a whole page at its width."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PATIENT_PAGES = {"enroll", "today", "check-in", "result-emergency", "result-crisis", "help"}
PATIENT_PAGES |= {"questionnaire-phq9-crisis-help", "progress", "companion-link", "companion-view"}
PATIENT_PAGES |= {"learn", "journal", "email"}
CLINIC_PAGES = {
    "dashboard",
    "patient",
    "appointment-edit",
    "enrollment-qr",
    "patient-added",
    "sessions",
    "outcomes",
}
ADMIN_PAGES = {"two-factor-set-up", "settings", "clinicians", "audit-trail", "two-factor-code"}
ADMIN_PAGES |= {f"settings-{slug}" for slug in ("clinic", "crisis", "rules", "lists")}
ADMIN_PAGES |= {"settings-reminders", "settings-questionnaires", "settings-thresholds"}
ADMIN_PAGES |= {"journal-questions", "learn-articles"}


def png_size(file: Path) -> tuple[int, int]:
    header = file.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{file} is not a PNG"
    return struct.unpack(">II", header[16:24])


def pages_in(folder: Path) -> set[str]:
    return {file.stem.split("-", 1)[1] for file in folder.glob("*.png")}


def test_the_screenshots_cover_every_side_at_both_sizes(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "screenshots.py"), "--out", str(tmp_path)]
        + ["--languages", "es"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    for width, height in ((390, 844), (1366, 900)):
        size = tmp_path / f"{width}x{height}"
        assert pages_in(size / "es") >= PATIENT_PAGES
        assert pages_in(size / "clinician") >= CLINIC_PAGES
        assert pages_in(size / "admin") >= ADMIN_PAGES
        for file in size.glob("*/*.png"):
            shot_width, shot_height = png_size(file)
            assert shot_width == width, file  # no page is wider than the screen
            assert shot_height >= height, file  # the whole page, not just the viewport
    index = (tmp_path / "index.html").read_text()
    assert index.count("<img") == len(list(tmp_path.glob("*/*/*.png")))
    assert "es/" in index and "admin/" in index
