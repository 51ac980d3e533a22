"""The `aftercare` command: run the app, make demo data, create clinics and clinicians, back up."""

from __future__ import annotations

import json
import os
import sys
from zoneinfo import available_timezones

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from .backups.commands import backup_command, restore_command
from .config import ConfigError
from .envfile import use_env_file_option
from .extensions import db
from .links import external_url_for
from .models import Clinic, Clinician

MIN_PASSWORD = 12


def _create_app(*_: object) -> object:
    from . import create_app
    from .config import env_bool

    # A command makes no database or key that is missing unless asked (--init); `run` and
    # `demo` may, for a local trial (aftercare.safeguards).
    return create_app({"MAKE_MISSING": env_bool(os.environ, "AFTERCARE_INIT", False)})


def migrate_database() -> None:
    """Bring the database to the newest schema (making the data folder if that is allowed)."""
    if current_app.config["MAKE_MISSING"]:
        current_app.config["DATA_DIR"].mkdir(parents=True, exist_ok=True)
    # Connect first: a database that is not there (and may not be made) is said plainly.
    db.engine.connect().close()
    upgrade()


def enrollment_url(token: str, base: str) -> str:
    """An enrollment link as the app makes it: from AFTERCARE_BASE_URL, else from `base`."""
    with current_app.test_request_context(base_url=base):
        return external_url_for("patient.enroll", token=token)


def describe_links(base: str) -> str:
    """What `aftercare run` says about the links it makes and the hosts it answers."""
    configured = current_app.config["BASE_URL"]
    if configured:
        return (
            f"Links (enrollment, companion, invitations, calendar, reminders) use {configured}."
            " Requests for any other host are refused."
        )
    return (
        "AFTERCARE_BASE_URL is not set: links use the address each request came to, and only"
        " this machine and the local network are answered (e.g. "
        f"{base}/). For production set AFTERCARE_BASE_URL=https://<public name> (see README)."
    )


def _base_url(host: str, port: int) -> str:
    configured = current_app.config["BASE_URL"]
    shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104
    return configured or f"http://{shown}:{port}"


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Send reminders from this process too (leave on unless `aftercare scheduler` runs).",
)
@with_appcontext
def run_command(host: str, port: int, threads: int, scheduler: bool) -> None:
    """Serve the app: migrate the database, add demo data on first start, say how to sign in,
    then listen."""
    from waitress import serve

    from .demo import create_demo
    from .keys import prepare
    from .reminders.push_subscriptions import vapid_for
    from .reminders.scheduler import start_background
    from .run_text import sign_in_text
    from .safeguards import allow_local_trial

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    allow_local_trial(app)
    migrate_database()
    for made in prepare(app, make=app.config["MAKE_MISSING"]):
        click.echo(f"Made a new {made.kind.label}: {made.where}")
    vapid_for(app)
    base = _base_url(host, port)
    demo, link = None, None
    if current_app.config["DEMO"] and not db.session.scalar(select(func.count(Clinic.id))):
        demo = create_demo(current_app.config["ENROLLMENT_DAYS"])
        link = enrollment_url(demo.enrollment_token, base)
    # On every start, not only the first: how to sign in, or how to get a way in.
    for line in sign_in_text(base, made=demo, link=link, production=app.config["PRODUCTION"]):
        click.echo(line)
    if scheduler:
        start_background(current_app._get_current_object())  # type: ignore[attr-defined]
        click.echo("Reminders: the scheduler runs in this process.")
    click.echo(describe_links(base))
    click.echo(f"Aftercare is serving on {base}/ (Ctrl+C stops it)")
    serve(
        current_app._get_current_object(),
        host=host,
        port=port,
        threads=threads,  # type: ignore[attr-defined]
        ident="aftercare",
        # waitress drops X-Forwarded-* unless told otherwise; behind the proxies that
        # AFTERCARE_PROXY_COUNT names, the app reads them itself (ProxyFix, aftercare/security.py),
        # so that sign-in limits count each client's address, not the proxy's.
        clear_untrusted_proxy_headers=not current_app.config["PROXY_COUNT"],
    )


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print one line of JSON for scripts.")
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where the app is served, for the enrollment link.",
)
@with_appcontext
def demo_command(as_json: bool, base_url: str) -> None:
    """Create a demo clinic, clinician and a patient whose infusion ended an hour ago."""
    from .demo import create_demo
    from .safeguards import allow_local_trial

    if current_app.config["PRODUCTION"]:
        raise click.UsageError(
            "demo data is never made with production settings (AFTERCARE_HTTPS=1 or an https "
            "AFTERCARE_BASE_URL): the demo clinician's password is published"
        )
    allow_local_trial(current_app._get_current_object())  # type: ignore[attr-defined]
    migrate_database()
    demo = create_demo(current_app.config["ENROLLMENT_DAYS"])
    url = enrollment_url(demo.enrollment_token, current_app.config["BASE_URL"] or base_url)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "clinician_email": demo.clinician_email,
                    "clinician_password": demo.clinician_password,
                    "enrollment_url": url,
                }
            )
        )
        return
    click.echo(f"Clinician: {demo.clinician_email} / {demo.clinician_password}")
    click.echo(f"Enrollment link: {url}")


@click.command("create-clinic")
@click.option("--name", required=True)
@click.option("--timezone", default="America/New_York", show_default=True)
@click.option("--phone", default="")
@click.option("--after-hours-phone", default="")
@with_appcontext
def create_clinic_command(name: str, timezone: str, phone: str, after_hours_phone: str) -> None:
    """Create a clinic and print its id."""
    if timezone not in available_timezones():
        raise click.BadParameter(f"{timezone!r} is not a time zone name", param_hint="--timezone")
    if not name.strip() or len(name) > 120:
        raise click.BadParameter("give a name of 1 to 120 characters", param_hint="--name")
    migrate_database()
    clinic = Clinic(
        name=name.strip(), timezone=timezone, phone=phone, after_hours_phone=after_hours_phone
    )
    db.session.add(clinic)
    db.session.commit()
    click.echo(clinic.id)


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@click.command("create-clinician")
@click.option("--clinic-id", required=True, type=int)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--admin", is_flag=True, help="Can change the clinic's settings and clinicians.")
@with_appcontext
def create_clinician_command(clinic_id: int, email: str, name: str, admin: bool) -> None:
    """Create a clinician; the password is read from standard input."""
    migrate_database()
    if db.session.get(Clinic, clinic_id) is None:
        raise click.BadParameter(f"there is no clinic {clinic_id}", param_hint="--clinic-id")
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise click.BadParameter("give an email address", param_hint="--email")
    if db.session.scalar(select(Clinician).where(Clinician.email == email)):
        raise click.BadParameter(f"{email} already has an account", param_hint="--email")
    password = _read_password()
    if len(password) < MIN_PASSWORD:
        raise click.UsageError(f"the password must be at least {MIN_PASSWORD} characters")
    clinician = Clinician(
        clinic_id=clinic_id, email=email, name=name.strip(), role="admin" if admin else "clinician"
    )
    clinician.set_password(password)
    db.session.add(clinician)
    db.session.commit()
    click.echo(clinician.id)


@click.command("scheduler")
@click.option(
    "--check",
    is_flag=True,
    help="Do not send: say when a scheduler last finished a pass, and exit with 1 if that is "
    "longer ago than AFTERCARE_SCHEDULER_STALE_SECONDS (for monitoring).",
)
@with_appcontext
def scheduler_command(check: bool) -> None:
    """Send reminders as they fall due, ticking every AFTERCARE_SCHEDULER_INTERVAL_SECONDS."""
    from .logs import log_to_stderr
    from .reminders.heartbeat import scheduler_health
    from .reminders.push_subscriptions import vapid_for
    from .reminders.scheduler import run_forever, yield_cpu_to_web

    if check:
        health = scheduler_health()
        click.echo(health.in_words())
        sys.exit(0 if health.fresh else 1)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    log_to_stderr()
    yield_cpu_to_web(app.config["SCHEDULER_NICE"])
    vapid_for(app)
    interval = app.config["SCHEDULER_INTERVAL_SECONDS"]
    run_forever(
        app,
        announce=lambda: click.echo(
            f"Aftercare scheduler: sending due reminders every {interval} s (Ctrl+C stops it)"
        ),
    )


@click.command("send-due")
@with_appcontext
def send_due_command() -> None:
    """Send the reminders that are due now, once, and exit."""
    from .reminders.sender import send_due_reminders

    summary = send_due_reminders()
    click.echo(
        f"claimed {summary.claimed}, delivered {summary.delivered}, failed {summary.failed}, "
        f"retrying {summary.retrying}, expired {summary.expired}, "
        f"held for quiet hours {summary.held}"
    )


@click.command("vapid-keys")
@with_appcontext
def vapid_keys_command() -> None:
    """Print the VAPID public key (making the key pair on first use)."""
    from .reminders.push_subscriptions import vapid_public_key

    click.echo(vapid_public_key(current_app._get_current_object()))  # type: ignore[attr-defined]


COMMANDS = (
    run_command,
    demo_command,
    create_clinic_command,
    create_clinician_command,
    scheduler_command,
    send_due_command,
    vapid_keys_command,
    backup_command,
    restore_command,
)


def init_cli(app: Flask) -> None:
    """Attach the commands to the app, so `aftercare` and the test runner both find them."""
    from .key_commands import keys_group

    for command in (*COMMANDS, keys_group):
        app.cli.add_command(command)


def _asked_to_make(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        os.environ["AFTERCARE_INIT"] = "1"
    return value


class AftercareGroup(FlaskGroup):
    """Flask's command group, with a bad setting told in one line when listing commands."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from flask.cli import ScriptInfo

        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except ConfigError as error:
            click.secho(f"Error: {error}\n", err=True, fg="red")
            return sorted(super(FlaskGroup, self).list_commands(ctx))
        return super().list_commands(ctx)


cli = AftercareGroup(
    name="aftercare",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="Aftercare: aftercare instructions and check-ins after a ketamine infusion.",
    params=[
        click.Option(
            ["--init"],
            is_flag=True,
            is_eager=True,
            expose_value=False,
            callback=_asked_to_make,
            help="Make what is missing: a new SQLite database, new keys (a new install; also "
            "AFTERCARE_INIT=1). Without it, a command that finds none stops and says so.",
        )
    ],
)
use_env_file_option(cli)
cli.add_command(shell_command)
cli.add_command(routes_command)


def main() -> None:
    try:
        cli.main(prog_name="aftercare")
    except ConfigError as error:
        # A setting, key or database that is not there: said in words, not a traceback.
        click.secho(f"Error: {error}", err=True, fg="red")
        sys.exit(1)
