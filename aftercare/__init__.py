"""Aftercare: a mobile-first web app for the hours and weeks after a ketamine infusion."""

from __future__ import annotations

from typing import Any

from flask import Flask

from .config import load_config
from .paths import resource_dir


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, with `config` laid over it (tests use that)."""
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        static_url_path="/static",
    )
    app.config.update(load_config())
    if config:
        app.config.update(config)
    # First, so that its after_request runs last: it compresses the finished response.
    register_compression(app)
    # Before the other request hooks (the CSRF check among them): a request they refuse from a
    # patient's phone is answered in the patient's language.
    register_patient_requests(app)
    register_extensions(app)
    register_i18n(app)
    register_requests(app)
    register_blueprints(app)
    register_static_files(app)
    register_instruments(app)
    register_templating(app)
    register_security(app)
    register_links(app)
    register_request_ids(app)
    register_errors(app)
    register_cli(app)
    announce_test_settings(app)
    return app


def register_compression(app: Flask) -> None:
    from .compression import init_compression

    init_compression(app)


def register_patient_requests(app: Flask) -> None:
    from .patient.hooks import patient_context, start_phone_request
    from .patient.language import remember_browser_language

    app.before_request(start_phone_request)
    app.before_request(remember_browser_language)
    # The crisis bar, with the clinic's numbers on a patient's pages, is on every page.
    app.context_processor(patient_context)


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (the models must be known before migrations run)
    from .extensions import csrf, db, limiter, login_manager, migrate
    from .safeguards import refuse_new_sqlite_files

    refuse_new_sqlite_files()

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)


def register_i18n(app: Flask) -> None:
    from .i18n import init_i18n

    # Clinicians' pages, all under /clinic, are in English only.
    init_i18n(app, english_only=("/clinic",))


def register_requests(app: Flask) -> None:
    from .request_input import init_requests

    init_requests(app)


def register_blueprints(app: Flask) -> None:
    from .clinic.admin import bp as clinic_admin_bp
    from .clinic.appointments import bp as appointments_bp
    from .clinic.auth import bp as clinic_auth_bp
    from .clinic.auth import init_session_rules
    from .clinic.blueprint import clinic_pages
    from .clinic.export_views import bp as exports_bp
    from .clinic.session_pages import bp as clinic_sessions_bp
    from .health import bp as health_bp
    from .patient.appointment_replies import bp as patient_replies_bp
    from .patient.companion import bp as companion_bp
    from .patient.email_pages import bp as patient_email_bp
    from .patient.journal import bp as journal_bp
    from .patient.language import bp as language_bp
    from .patient.learn import bp as learn_bp
    from .patient.reminders import bp as patient_reminders_bp
    from .patient.views import bp as patient_bp
    from .pwa.views import bp as pwa_bp
    from .questionnaires.views import bp as questionnaires_bp

    app.register_blueprint(patient_bp)
    app.register_blueprint(patient_reminders_bp)
    app.register_blueprint(patient_email_bp)
    app.register_blueprint(patient_replies_bp)
    app.register_blueprint(language_bp)
    app.register_blueprint(questionnaires_bp)
    app.register_blueprint(companion_bp)
    app.register_blueprint(learn_bp)
    app.register_blueprint(journal_bp)
    app.register_blueprint(clinic_auth_bp)
    app.register_blueprint(clinic_pages())
    app.register_blueprint(clinic_admin_bp)
    app.register_blueprint(clinic_sessions_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(appointments_bp)
    app.register_blueprint(pwa_bp)
    app.register_blueprint(health_bp)
    init_session_rules(app)


def register_static_files(app: Flask) -> None:
    from .pwa.views import asset, cache_versioned_assets, send_static_code_small

    app.add_template_global(asset)
    app.after_request(cache_versioned_assets)
    app.after_request(send_static_code_small)


def register_instruments(app: Flask) -> None:
    from .questionnaires.service import instruments_in

    # A clinic's malformed questionnaire stops start-up, naming its file and field, rather than
    # failing the first patient who opens it.
    instruments_in(app.config["INSTRUMENTS_DIR"])


def register_templating(app: Flask) -> None:
    from .clinic.local_time import local_time
    from .clinic.phones import phone_display
    from .templating import init_templating

    init_templating(app)
    # Every clinician page shows times in the clinic's zone: `{{ alert.created_at|local }}`.
    app.add_template_filter(local_time, "local")
    # A patient's number as the clinic dials it: `{{ patient.phone|phone }}`.
    app.add_template_filter(phone_display, "phone")


def register_security(app: Flask) -> None:
    from .security import init_security

    init_security(app)


def register_links(app: Flask) -> None:
    from .links import init_links

    init_links(app)


def register_request_ids(app: Flask) -> None:
    # Around everything else, the proxy set-up included: the id exists before any of it runs.
    from .request_ids import RequestIds

    app.wsgi_app = RequestIds(  # type: ignore[method-assign]
        app.wsgi_app, trust_proxy=bool(app.config["PROXY_COUNT"])
    )


def register_errors(app: Flask) -> None:
    from .errors import init_errors

    init_errors(app)


def register_cli(app: Flask) -> None:
    from .cli import init_cli

    init_cli(app)


def announce_test_settings(app: Flask) -> None:
    """Warn in the log, at every start, about settings that are for tests only."""
    from .reminders.endpoints import announce_loopback

    announce_loopback(app)
