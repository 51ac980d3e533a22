"""Flask extensions, created unbound and attached in create_app()."""

import sqlite3
from functools import cached_property

import flask_babel
from babel import Locale
from babel.support import NullTranslations
from flask import g, has_app_context
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints, so that Alembic can alter them on SQLite and PostgreSQL alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


class _Domain(flask_babel.Domain):
    """Flask-Babel's message domain, finding a request's catalog in one step.

    Flask-Babel looks up the request's state three times for each string it translates, and a
    check-in page translates about a hundred. Once the request's language is known, this
    domain keeps the catalog by that language. Changing the language within a request
    (`force_locale`, `refresh`) clears it first, so the next string looks it up afresh.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._catalogs: dict[Locale, NullTranslations] = {}

    def get_translations(self) -> NullTranslations:
        state = g.get("_flask_babel") if has_app_context() else None
        locale = getattr(state, "babel_locale", None)
        if locale is None:
            return super().get_translations()
        catalog = self._catalogs.get(locale)
        if catalog is None:
            catalog = self._catalogs[locale] = super().get_translations()
        return catalog


class Babel(flask_babel.Babel):
    @cached_property
    def domain_instance(self) -> flask_babel.Domain:
        return _Domain(domain=self.domain)


# Languages of the patient pages; set up by aftercare.i18n.init_i18n().
babel = Babel()
compress = Compress()
# Sign-in limits; the storage is set from AFTERCARE_RATELIMIT_STORAGE_URI (memory by default,
# which is right for one process; several processes want a shared store such as Redis).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: object, connection_record: object) -> None:
    """SQLite set up for a web server and schedulers sharing one file."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    # Readers do not block the writer (WAL); a writer waits its turn instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
