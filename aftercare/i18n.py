"""Languages: which one a page is shown in, and the compiled catalogs behind them.

Patient pages are in English or Spanish. The language is, in order: the one the patient chose
with the switch on their pages (kept on the Patient, so reminders sent later use it too; the
patient pages hand it over with `set_patient_language`), the one this browser chose (a cookie,
also before it was linked), the browser's Accept-Language, English. Clinician pages are English
(the app factory says which paths are theirs).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from wtforms.i18n import messages_path

from .care.content import clinic_content, kept_in_base_language
from .care.translation import one_full_stop
from .extensions import babel
from .models import Clinic

log = logging.getLogger(__name__)

# Each language named in itself, as the switch shows it.
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "aftercare_language"
# Where content_for() lists the pieces of wording that a clinic wrote only in English.
KEPT_IN_ENGLISH = "kept_in_english"
CATALOGS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"


def compile_catalogs(source: Path, fallback: Path) -> Path:
    """Compile each .po whose .mo is missing or older, beside it or else all in `fallback`.

    Done at start-up so that a fresh clone, an editable install and a wheel all run with no
    separate step; an installed package may be read-only, hence the fallback folder.
    """
    try:
        _compile_stale(source, source)
        return source
    except OSError:
        _compile_stale(source, fallback)
        log.info("translations compiled into %s (the package folder is read-only)", fallback)
        return fallback


def _compile_stale(source: Path, target: Path) -> None:
    for po in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name, domain=DOMAIN)
        mo.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: several processes may start at once.
        partial = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
        with partial.open("wb") as handle:
            # Fuzzy entries are guesses awaiting review: never shown (tests keep there being none).
            write_mo(handle, catalog, use_fuzzy=False)
        partial.replace(mo)


@cache
def _translations(folder: str, language: str) -> NullTranslations:
    return Translations.load(folder, [language], DOMAIN)


def translator(language: str) -> Callable[[str], str]:
    """gettext for one language, usable with no request (the scheduler plans reminders)."""
    folder = current_app.config["TRANSLATIONS_DIR"]
    return _translations(str(folder), language).gettext


@cache
def wtforms_translations(language: str) -> Translations:
    """WTForms' own messages ("Not a valid integer value.") in one language, loaded once.

    Flask-WTF would read and parse them from disk for every request that builds a form.
    """
    return Translations.load(messages_path(), [language], domain="wtforms")


def supported(language: str | None) -> str | None:
    """The language if the app has it, else None."""
    return language if language in LANGUAGES else None


def browser_language() -> str | None:
    """The best of our languages in this request's Accept-Language, if it names one."""
    if not request.accept_languages:
        return None
    return request.accept_languages.best_match(list(LANGUAGES))


def set_patient_language(language: str | None) -> None:
    """The language the patient behind this request chose, if any, for this request's pages.

    Set by the patient pages before anything is rendered (patient/hooks.py).
    """
    g.patient_language = language


def select_language(english_only: tuple[str, ...] = ()) -> str:
    """The language of this request's page (see the module's docstring).

    `english_only`: the paths under which every page is in English (the clinicians').
    """
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if request.path.startswith(english_only):
        return DEFAULT_LANGUAGE
    return (
        supported(g.get("patient_language"))
        or supported(request.cookies.get(LANGUAGE_COOKIE))
        or browser_language()
        or DEFAULT_LANGUAGE
    )


def current_language() -> str:
    """The language of the page being rendered."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def content_for(clinic: Clinic | None, language: str | None = None) -> dict[str, Any]:
    """A clinic's wording in the page's language (or `language`), over the defaults.

    Under KEPT_IN_ENGLISH, the paths of the pieces the clinic wrote only in English, which a
    page marks with in_english().
    """
    language = language or current_language()
    overrides = clinic.content if clinic is not None else None
    content = clinic_content(overrides, language, translator(language))
    content[KEPT_IN_ENGLISH] = frozenset(kept_in_base_language(overrides, language))
    return content


# Which of page_text()'s words each script feature needs. A page carries only the groups of
# the features it shows: every byte of a patient's first visit counts on a cheap phone.
TEXT_GROUPS: dict[str, tuple[str, ...]] = {
    "countdown": ("done", "left", "hours", "minutes"),
    "outbox": ("outbox_sent", "outbox_not_linked", "outbox_problem", "outbox_waiting"),
    "push": (
        "reminders_on",
        "reminders_off",
        "turn_on",
        "turn_off",
        "ios_install",
        "no_push",
        "push_blocked",
        "push_failed",
        "push_permission",
        "push_error",
    ),
    "checkin": (
        "call",
        "text",
        "call_clinic",
        "back_to_today",
        "number_range",
        "both_numbers",
        "bottom_smaller",
        "check_in_queued",
        "say_something",
        "not_answered",
    ),
    "questionnaire": ("answers_queued",),
    "share": ("share_text", "copied", "copy_failed"),
}


def page_text(*groups: str) -> dict[str, Any]:
    """The words of these TEXT_GROUPS, as the page's scripts show them."""
    everything = all_page_text()
    return {key: everything[key] for group in groups for key in TEXT_GROUPS[group]}


def all_page_text() -> dict[str, Any]:
    """The words static/js/*.js show, in the page's language: the scripts hardcode none.

    {name} marks where a script puts a value; plurals come as [one, other].
    """
    plural = get_translations().ungettext

    def both(singular: str, plural_form: str) -> list[str]:
        return [plural(singular, plural_form, n).replace("%(num)d", "{n}") for n in (1, 2)]

    return {
        "done": _("Done"),
        "left": _("%(time)s left", time="{time}"),
        "hours": both("%(num)d hour", "%(num)d hours"),
        "minutes": both("%(num)d minute", "%(num)d minutes"),
        "call": _("Call %(number)s", number="{number}"),
        "text": _("Text %(number)s", number="{number}"),
        "call_clinic": _("Call the clinic"),
        "back_to_today": _("Back to Today"),
        "number_range": _("Enter a number from %(low)s to %(high)s.", low="{low}", high="{high}"),
        "both_numbers": _("Enter both blood pressure numbers, or neither."),
        "bottom_smaller": _("The bottom number should be smaller than the top number."),
        "say_something": _("Tap “I feel fine”, or answer at least one question."),
        "not_answered": _(
            "Some of these have no answer. Choose one for each, or tick “None of these”."
            " To send it as it is, tap “Send check-in” again."
        ),
        "check_in_queued": _(
            "Saved on this phone. It will be sent to your care team when you are back online."
            " Until then, nobody has seen it."
        ),
        "answers_queued": _(
            "Saved on this phone. Your answers will be sent to your care team when you are back"
            " online."
        ),
        "outbox_sent": _("Sent %(sent)s (filled in %(filled)s)", sent="{sent}", filled="{filled}"),
        "outbox_not_linked": _(
            "Filled in %(filled)s: could not be sent because this phone is no longer linked."
            " Please call the clinic.",
            filled="{filled}",
        ),
        "outbox_problem": _(
            "Filled in %(filled)s: could not be sent. Please call the clinic.", filled="{filled}"
        ),
        "outbox_waiting": _(
            "Waiting to send: filled in %(filled)s. It will be sent when you are back online.",
            filled="{filled}",
        ),
        "share_text": _(
            "What to watch for after my infusion, and when to call for help. This link works"
            " for one day."
        ),
        "copied": _("Link copied. Paste it into a message."),
        "copy_failed": _("The link could not be copied. Press and hold it to copy it."),
        "reminders_on": _("Reminders are on for this phone."),
        "reminders_off": _("Reminders are off for this phone."),
        "turn_on": _("Turn on reminders"),
        "turn_off": _("Turn off reminders"),
        "ios_install": _(
            "On iPhone or iPad: tap the Share button, then “Add to Home Screen”. Open Aftercare"
            " from your Home Screen, then turn reminders on here."
        ),
        "no_push": _(
            "This browser cannot show reminders. Your clinic will still remind you of appointments."
        ),
        "push_blocked": _(
            "Notifications are blocked for this site. Allow them in your browser's settings to"
            " get reminders."
        ),
        "push_failed": _("Reminders could not be set up on this phone."),
        "push_permission": _(
            "Reminders need your permission. If you said no by mistake, allow notifications for"
            " this site in your browser's settings."
        ),
        "push_error": _("That did not work. Please try again."),
    }


def _one_full_stop(message: str, variables: dict[str, Any]) -> str:
    return one_full_stop(message, {f"%({name})s": value for name, value in variables.items()})


def sentence(message: str, **values: Any) -> str:
    """A translated message with its %(name)s filled in, and no second full stop after a value
    that ends in one: sentence(_("Check-in received %(when)s."), when=...)."""
    return _one_full_stop(message, values) % values


def install_template_gettext(env: Environment) -> None:
    """Templates' gettext and ngettext: Jinja's own, but a sentence that ends with a value
    ending in a full stop (a Spanish time, "3:40 p. m.") gets no second one.

    Jinja interpolates the variables itself, after the catalog lookup, so the rule has to sit
    here to reach every {% trans %} and _() in every template.
    """

    def interpolate(context: Context, message: str, variables: dict[str, Any]) -> str:
        text = _one_full_stop(message, variables)
        if context.eval_ctx.autoescape:
            # As Jinja does: the catalog's own markup is trusted, the values are escaped by %.
            text = Markup(text)  # noqa: S704
        return text % variables

    @pass_context
    def gettext(context: Context, message: str, /, **variables: Any) -> str:
        return interpolate(context, get_translations().ugettext(message), variables)

    @pass_context
    def ngettext(
        context: Context, singular: str, plural: str, num: int, /, **variables: Any
    ) -> str:
        variables.setdefault("num", num)
        return interpolate(context, get_translations().ungettext(singular, plural, num), variables)

    env.globals.update(gettext=gettext, _=gettext, ngettext=ngettext)


def init_i18n(app: Flask, *, english_only: tuple[str, ...] = ()) -> None:
    """Catalogs, the language of each page, and the template helpers that show it.

    `english_only`: the paths under which every page is in English (the clinicians').
    """
    folder = compile_catalogs(CATALOGS, Path(app.config["DATA_DIR"]) / "translations")
    app.config["TRANSLATIONS_DIR"] = folder
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(folder)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    babel.init_app(app, locale_selector=lambda: select_language(english_only))
    install_template_gettext(app.jinja_env)

    @app.context_processor
    def languages() -> dict[str, object]:
        language = current_language()
        return {
            "current_language": language,
            "other_languages": {k: v for k, v in LANGUAGES.items() if k != language},
        }

    app.add_template_global(page_text)

    @app.template_global()
    @pass_context
    def in_english(context: Context, path: str) -> Markup:
        """lang="en" on text a clinic wrote only in English, so screen readers read it right.

        Asked of the wording the page shows: its `content` (see content_for).
        """
        content = context.get("content") or {}
        if current_language() != "en" and path in content.get(KEPT_IN_ENGLISH, ()):
            return Markup(' lang="en"')
        return Markup("")
