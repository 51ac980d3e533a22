"""Screenshots of every page, as a patient's phone and a clinician's laptop show them.

    .venv/bin/python bench/screenshots.py                  # into screenshots/ (not committed)
    .venv/bin/python bench/screenshots.py --out /tmp/shots --languages en

It starts the app (`aftercare run`, waitress) on 127.0.0.1 with a throwaway data folder and the
demo data, then walks it in Debian's Chromium through Playwright as its people do: a patient in
English and one in Spanish (linked through the real enrollment link, checking in at each triage
level, answering the questionnaires, making a companion link), the companion, the demo clinician,
and an admin made for the run who sets up two-factor sign-in. Every page is captured whole at
390×844 (a phone) and 1366×900 (a laptop); clinicians' pages are in English only. It writes
`<out>/<width>x<height>/<language>/NN-page.png` and `<out>/index.html`, which shows them all side
by side so a reviewer can look through every page in a minute.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyotp
from lighthouse import free_port, wait_until_serving  # bench/, beside this script
from playwright.sync_api import Browser, Page, sync_playwright

from aftercare.clinic.settings_sections import SECTIONS, Section

# Each settings section is a page of its own.
SETTINGS_SECTIONS = [section.slug for section in SECTIONS if isinstance(section, Section)]

ROOT = Path(__file__).resolve().parent.parent
AFTERCARE = Path(sys.executable).with_name("aftercare")
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
LOCALES = {"en": "en-US", "es": "es-US"}
WAIT_MS = 15_000
# One answer that gives each triage level (see aftercare/care/triage.py), with the level's name
# as the result page shows it (action--<level>); the other questions are answered "none".
CHECK_INS = {
    "expected": ({}, "expected"),
    "call-the-clinic": ({"cannot_keep_fluids": "y"}, "call_clinic"),
    "emergency": ({"chest_pain": "y"}, "emergency"),
    "crisis": ({"suicidal_thoughts": "y"}, "crisis"),
}


@dataclass
class Shots:
    """The screenshots taken so far, in the order a person meets the pages."""

    out: Path
    taken: list[tuple[str, Path]] = field(default_factory=list)  # (who, file)
    counter: dict[str, int] = field(default_factory=dict)

    def take(self, page: Page, who: str, name: str, sizes: tuple[dict, ...]) -> None:
        """Capture the whole page at each size, then put the page back at the first."""
        number = self.counter.get(who, 0) + 1
        self.counter[who] = number
        for size in sizes:
            page.set_viewport_size(size)
            page.wait_for_load_state("load")
            folder = self.out / f"{size['width']}x{size['height']}" / who
            folder.mkdir(parents=True, exist_ok=True)
            file = folder / f"{number:02d}-{name}.png"
            page.screenshot(path=str(file), full_page=True, animations="disabled")
            self.taken.append((who, file))
        page.set_viewport_size(sizes[0])

    def write_index(self) -> Path:
        """An HTML page with every screenshot, grouped by who sees it and by page."""
        rows: dict[tuple[str, str], list[Path]] = {}
        for who, file in self.taken:
            rows.setdefault((who, file.stem), []).append(file)
        parts = [
            "<!doctype html><meta charset=utf-8><title>Aftercare screenshots</title>",
            "<style>body{font:14px system-ui;margin:1rem}figure{display:inline-block;"
            "vertical-align:top;margin:0 1rem 2rem 0}img{width:390px;border:1px solid #ccc}"
            "h2{margin-top:2rem}</style><h1>Aftercare screenshots</h1>",
        ]
        current = None
        for (who, stem), files in rows.items():
            if who != current:
                parts.append(f"<h2>{html.escape(who)}</h2>")
                current = who
            parts.append(f"<h3>{html.escape(stem)}</h3>")
            for file in files:
                relative = file.relative_to(self.out).as_posix()
                caption = html.escape(file.parent.parent.name)
                parts.append(
                    f'<figure><a href="{relative}"><img src="{relative}" alt=""></a>'
                    f"<figcaption>{caption}</figcaption></figure>"
                )
        index = self.out / "index.html"
        index.write_text("\n".join(parts), encoding="utf-8")
        return index


@dataclass(frozen=True)
class Demo:
    base: str
    enrollment_urls: dict[str, str]  # language -> a patient's one-time link
    clinician: tuple[str, str]
    admin: tuple[str, str]


@contextmanager
def running_app(languages: list[str]) -> Iterator[Demo]:
    """The app on a free loopback port, with a demo patient for each language and an admin."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="aftercare-screenshots-") as data:
        env = {**os.environ, "AFTERCARE_DATA_DIR": data, "AFTERCARE_DEMO": "0"}

        def aftercare(*args: str, stdin: str | None = None) -> str:
            done = subprocess.run(
                [str(AFTERCARE), *args], env=env, input=stdin, capture_output=True, text=True
            )
            if done.returncode != 0:
                raise SystemExit(f"aftercare {args[0]} failed:\n{done.stderr}")
            return done.stdout

        urls = {}
        for language in languages:
            demo = json.loads(aftercare("--init", "demo", "--json", "--base-url", base))
            urls[language] = demo["enrollment_url"]
        clinician = (demo["clinician_email"], demo["clinician_password"])
        admin = ("admin@aftercare.test", secrets.token_urlsafe(16))
        aftercare(
            "create-clinician",
            "--clinic-id=1",  # the demo clinic, the first in this new database
            f"--email={admin[0]}",
            "--name=Ana Admin",
            "--admin",
            stdin=admin[1] + "\n",
        )
        server = subprocess.Popen(
            [str(AFTERCARE), "run", "--port", str(port), "--no-scheduler"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_serving(base)
            yield Demo(base, urls, clinician, admin)
        finally:
            server.terminate()
            server.wait(timeout=10)


def submit(page: Page) -> None:
    """Tap the page's main submit button and wait for what it loads."""
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").first.click()


def check_in(page: Page, answers: dict[str, str], level: str) -> None:
    """Tick the red flags given, answer every other question "none", send the check-in, and
    check that the result is the level they call for."""
    page.goto("/check-in")
    page.evaluate(
        """(answers) => {
          const form = document.querySelector("main form[method=post]");
          for (const box of form.querySelectorAll("input[type=checkbox]")) {
            box.checked = box.name in answers;
          }
          const names = new Set([...form.querySelectorAll("input[type=radio]")].map((i) => i.name));
          for (const name of names) {
            const input = form.querySelector(`input[name="${name}"][value="0"]`)
              || form.querySelector(`input[name="${name}"]`);
            input.checked = true;
          }
        }""",
        answers,
    )
    page.locator("main form[method=post] button[type=submit]:visible").last.click()
    page.wait_for_url("**/check-ins/*")
    if page.locator(f".action--{level}").count() != 1:
        raise SystemExit(f"the {level} check-in gave another result: {page.url}")


def answer_questionnaire(page: Page, instrument: str, shots: Shots, who: str, sizes) -> None:
    """Open a questionnaire, answer it (the PHQ-9 with item 9 above zero), and send it."""
    page.goto(f"/questionnaires/{instrument}")
    shots.take(page, who, f"questionnaire-{instrument}", sizes)
    groups = page.locator("main fieldset:has(input[type=radio])")
    for number in range(groups.count()):
        options = groups.nth(number).locator("input[type=radio]")
        # The second answer ("Several days", "A little bit"...) for every item.
        options.nth(min(1, options.count() - 1)).check()
    if instrument == "phq9":
        shots.take(page, who, "questionnaire-phq9-crisis-help", sizes)
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_url("**/questionnaires/responses/*")
    shots.take(page, who, f"questionnaire-{instrument}-result", sizes)


def patient_pages(browser: Browser, demo: Demo, language: str, shots: Shots) -> None:
    sizes = (PHONE, LAPTOP)
    context = browser.new_context(
        base_url=demo.base,
        viewport=PHONE,
        locale=LOCALES[language],
        is_mobile=True,
        has_touch=True,
        device_scale_factor=1,
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(demo.enrollment_urls[language])
    shots.take(page, language, "enroll", sizes)
    submit(page)
    page.wait_for_url("**/today")
    shots.take(page, language, "today", sizes)
    page.goto("/check-in")
    shots.take(page, language, "check-in", sizes)
    for name, (answers, level) in CHECK_INS.items():
        check_in(page, answers, level)
        shots.take(page, language, f"result-{name}", sizes)
        page.goto("/today")
        shots.take(page, language, f"today-after-{name}", sizes)
    page.goto("/help")
    shots.take(page, language, "help", sizes)
    page.goto("/questionnaires")
    shots.take(page, language, "questionnaires", sizes)
    for instrument in ("phq9", "gad7", "pcl5"):
        answer_questionnaire(page, instrument, shots, language, sizes)
    page.goto("/questionnaires")
    shots.take(page, language, "progress", sizes)
    for path, name in (("/learn", "learn"), ("/journal", "journal"), ("/reminders/email", "email")):
        page.goto(path)
        shots.take(page, language, name, sizes)
    page.goto("/companion")
    shots.take(page, language, "companion-none-yet", sizes)
    submit(page)
    shots.take(page, language, "companion-link", sizes)
    companion_url = page.locator("main").get_by_text("/c/").first.inner_text().strip()
    page.goto("/offline")
    shots.take(page, language, "offline", sizes)
    context.close()

    companion = browser.new_context(
        base_url=demo.base, viewport=PHONE, locale=LOCALES[language], is_mobile=True
    )
    companion_page = companion.new_page()
    companion_page.goto(companion_url if "://" in companion_url else demo.base + companion_url)
    shots.take(companion_page, language, "companion-view", sizes)
    companion.close()


def sign_in(page: Page, who: tuple[str, str]) -> None:
    page.goto("/clinic/login")
    page.get_by_label("Email").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    submit(page)


def clinician_pages(browser: Browser, demo: Demo, shots: Shots) -> None:
    sizes = (LAPTOP, PHONE)
    context = browser.new_context(base_url=demo.base, viewport=LAPTOP, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto("/clinic/login")
    shots.take(page, "clinician", "sign-in", sizes)
    sign_in(page, demo.clinician)
    page.wait_for_url("**/clinic/")
    shots.take(page, "clinician", "dashboard", sizes)
    page.locator("main a[href*='/clinic/patients/']:not([href$='/new'])").first.click()
    page.wait_for_url("**/clinic/patients/*")
    patient_url = page.url
    shots.take(page, "clinician", "patient", sizes)
    tomorrow = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86_400))
    page.locator("#appointment-day").fill(tomorrow)
    page.locator("#starts").fill("15:40")
    page.get_by_role("button", name="Book appointment").click()
    page.wait_for_load_state("load")
    page.locator("main a[href*='/clinic/appointments/']").first.click()
    page.wait_for_url("**/edit")
    shots.take(page, "clinician", "appointment-edit", sizes)
    page.goto(patient_url)
    page.get_by_role("button", name="Show a new enrollment QR code").click()
    page.wait_for_load_state("load")
    shots.take(page, "clinician", "enrollment-qr", sizes)
    page.goto("/clinic/patients/new")
    shots.take(page, "clinician", "patient-new", sizes)
    page.get_by_label("First name or clinic code").fill("Ivan R.")
    page.get_by_role("button", name="Create patient").click()
    page.wait_for_url("**/added")
    shots.take(page, "clinician", "patient-added", sizes)
    page.goto("/clinic/security/sessions")
    shots.take(page, "clinician", "sessions", sizes)
    page.goto("/clinic/outcomes")
    shots.take(page, "clinician", "outcomes", sizes)
    context.close()

    context = browser.new_context(base_url=demo.base, viewport=LAPTOP, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    sign_in(page, demo.admin)
    page.wait_for_url("**/security/two-factor")
    shots.take(page, "admin", "two-factor-set-up", sizes)
    secret = page.locator("code.break").inner_text().strip()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    submit(page)
    shots.take(page, "admin", "recovery-codes", sizes)
    settings = [(f"/clinic/settings/{slug}", f"settings-{slug}") for slug in SETTINGS_SECTIONS]
    for path, name in (
        ("/clinic/settings", "settings"),
        *settings,
        ("/clinic/settings/thresholds", "settings-thresholds"),
        ("/clinic/journal-prompts", "journal-questions"),
        ("/clinic/learn", "learn-articles"),
        ("/clinic/admin/clinicians", "clinicians"),
        ("/clinic/admin/audit", "audit-trail"),
    ):
        page.goto(path)
        shots.take(page, "admin", name, sizes)
    context.close()

    context = browser.new_context(base_url=demo.base, viewport=LAPTOP, locale="en-US")
    page = context.new_page()
    sign_in(page, demo.admin)
    page.wait_for_url("**/login/verify")
    shots.take(page, "admin", "two-factor-code", sizes)
    context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots", help="the folder")
    parser.add_argument("--languages", nargs="+", choices=sorted(LOCALES), default=sorted(LOCALES))
    parser.add_argument(
        "--only", choices=("patient", "clinician"), help="one side only (default: both)"
    )
    args = parser.parse_args(argv)
    shots = Shots(args.out)
    with running_app(args.languages) as demo, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            if args.only in (None, "patient"):
                for language in args.languages:
                    patient_pages(browser, demo, language, shots)
            if args.only in (None, "clinician"):
                clinician_pages(browser, demo, shots)
        finally:
            browser.close()
    index = shots.write_index()
    print(f"{len(shots.taken)} screenshots; open {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
