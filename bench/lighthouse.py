"""Lighthouse on a patient's Today and check-in pages, as a phone sees them.

    .venv/bin/python bench/lighthouse.py              # Today and the check-in, 1 run each
    .venv/bin/python bench/lighthouse.py --runs 3     # the median of 3 runs of each page

It starts the app (`aftercare run`, waitress) on 127.0.0.1 with a throwaway data folder and the
demo data, links a phone through the real enrollment page to get the device cookie, then runs
Lighthouse 12 (pinned in bench/lighthouse/package-lock.json, installed there with npm on first
use) against Debian's Chromium with Lighthouse's default mobile emulation and throttling,
sending that cookie with every request. It prints the performance, accessibility and
best-practices scores of each page (the median of its runs, then each run with Lighthouse's
benchmark index of the machine at the time) and exits 1 if one misses its target.

Targets: performance >= 0.95, accessibility 1.0, best practices >= 0.95.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE_DIR = ROOT / "bench" / "lighthouse"
LIGHTHOUSE = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
AFTERCARE = Path(sys.executable).with_name("aftercare")
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
# Headless, and nothing that reaches outside this machine (it has no network beyond loopback).
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 0.95, "accessibility": 1.0, "best-practices": 0.95}
PAGES = ("/today", "/check-in")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/", timeout=2):  # noqa: S310 (our own server)
                return
        except OSError:
            if time.monotonic() > deadline:
                message = f"the app did not answer on {base} within {timeout:.0f} s"
                raise SystemExit(message) from None
            time.sleep(0.2)


@contextmanager
def running_app(port: int) -> Iterator[tuple[str, str]]:
    """The app on 127.0.0.1:`port` with demo data; yields its address and the enrollment link."""
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="aftercare-lighthouse-") as data:
        env = {**os.environ, "AFTERCARE_DATA_DIR": data, "AFTERCARE_DEMO": "0"}
        demo = subprocess.run(
            [str(AFTERCARE), "demo", "--json", "--base-url", base],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        link = json.loads(demo.stdout.strip().splitlines()[-1])["enrollment_url"]
        server = subprocess.Popen(
            [str(AFTERCARE), "run", "--port", str(port), "--no-scheduler"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_serving(base)
            yield base, link
        finally:
            server.terminate()
            server.wait(timeout=10)


def csrf_token_in(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if match is None:
        raise ValueError("no CSRF token in the page")
    return match.group(1)


def cookie_header(jar: http.cookiejar.CookieJar) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def link_a_phone(link: str) -> str:
    """Open the enrollment link and tap the button, as a phone would; return its Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(link) as page:
        token = csrf_token_in(page.read().decode())
    origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(link))
    form = urllib.parse.urlencode({"csrf_token": token}).encode()
    request = urllib.request.Request(link, data=form, headers={"Origin": origin})
    with opener.open(request) as today:  # the 303 lands on /today
        if urllib.parse.urlsplit(today.url).path != "/today":
            raise RuntimeError(f"enrollment ended on {today.url}, not /today")
    if not any(cookie.name == "aftercare_device" for cookie in jar):
        raise RuntimeError("enrollment set no device cookie")
    return cookie_header(jar)


def install_lighthouse() -> None:
    if LIGHTHOUSE.exists():
        return
    print("Installing Lighthouse (bench/lighthouse/package-lock.json) with npm...", flush=True)
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(LIGHTHOUSE_DIR)], check=True
    )


def lighthouse_command(url: str, cookie: str, report: Path) -> list[str]:
    return [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={' '.join(CHROME_FLAGS)}",
        f"--extra-headers={json.dumps({'Cookie': cookie})}",
    ]


def scores_in(report: dict) -> dict[str, float]:
    """The category scores of a Lighthouse JSON report."""
    return {name: report["categories"][name]["score"] for name in CATEGORIES}


def failed_audits(report: dict) -> list[str]:
    """The scored audits that did not pass, to say why a score is short."""
    failed = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
                failed.append(f"{name}: {ref['id']} ({audit['score']}) {audit['title']}")
    return failed


def missed(scores: dict[str, float]) -> list[str]:
    return [
        f"{name} {scores[name]:.2f} < {target:.2f}"
        for name, target in TARGETS.items()
        if scores[name] is None or scores[name] < target
    ]


def run_lighthouse(url: str, cookie: str, folder: Path, run: int) -> dict:
    report = folder / f"{urllib.parse.urlsplit(url).path.strip('/')}-{run}.json"
    subprocess.run(
        lighthouse_command(url, cookie, report),
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        check=True,
    )
    return json.loads(report.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs of each page (median kept)")
    parser.add_argument("--port", type=int, default=0, help="port for the app (default: free)")
    parser.add_argument("--keep", type=Path, help="keep the JSON reports in this folder")
    args = parser.parse_args()

    install_lighthouse()
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    version = subprocess.run(
        [str(LIGHTHOUSE), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    chromium = subprocess.run(
        [CHROMIUM, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"Lighthouse {version}, {chromium}, mobile emulation, simulated throttling")

    failures = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        with running_app(args.port or free_port()) as (base, link):
            cookie = link_a_phone(link)
            print(f"{'page':<10} {'performance':>12} {'accessibility':>14} {'best practices':>15}")
            for path in PAGES:
                reports = [
                    run_lighthouse(base + path, cookie, folder, run) for run in range(args.runs)
                ]
                runs = [scores_in(report) for report in reports]
                scores = {name: statistics.median(s[name] for s in runs) for name in CATEGORIES}
                row = "".join(
                    f"{scores[name]:>{width}.2f}"
                    for name, width in zip(CATEGORIES, (13, 15, 16), strict=True)
                )
                print(f"{path:<10}{row}")
                # Lighthouse scales the CPU time it sees to a phone's; on a machine that other
                # work slows down (benchmark index under 1,000, which Lighthouse warns about),
                # the performance score drops with it.
                for run, report in enumerate(reports, 1):
                    each = " / ".join(f"{scores_in(report)[name]:.2f}" for name in CATEGORIES)
                    index = report["environment"]["benchmarkIndex"]
                    print(f"{'':<10} run {run}: {each}, benchmark index {index:,.0f}")
                    for warning in report.get("runWarnings", []):
                        print(f"{'':<16} {warning}")
                for problem in missed(scores):
                    failures.append(f"{path}: {problem}")
                    failures.extend(f"    {audit}" for audit in failed_audits(reports[0]))
    targets = ", ".join(f"{name} >= {target:.2f}" for name, target in TARGETS.items())
    print(f"targets: {targets}: {'FAIL' if failures else 'PASS'}")
    for failure in failures:
        print(f"  {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
