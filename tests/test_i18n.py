"""Catalogs compile themselves at start-up, beside the .po or in the data folder."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from babel.support import Translations

from aftercare import i18n

SOURCE = Path(i18n.__file__).parent / "translations"


def copy_of_the_catalogs(tmp_path: Path) -> Path:
    folder = tmp_path / "translations"
    shutil.copytree(SOURCE, folder, ignore=shutil.ignore_patterns("*.mo", "*.pot"))
    return folder


def test_a_missing_mo_is_compiled_beside_its_po(tmp_path):
    folder = copy_of_the_catalogs(tmp_path)
    assert i18n.compile_catalogs(folder, tmp_path / "data") == folder
    mo = folder / "es" / "LC_MESSAGES" / "messages.mo"
    assert Translations.load(str(folder), ["es"]).gettext("Today") == "Hoy"
    # Up to date: not written again.
    before = mo.stat().st_mtime_ns
    i18n.compile_catalogs(folder, tmp_path / "data")
    assert mo.stat().st_mtime_ns == before


def test_an_edited_po_is_compiled_again(tmp_path):
    folder = copy_of_the_catalogs(tmp_path)
    i18n.compile_catalogs(folder, tmp_path / "data")
    po = folder / "es" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('msgstr "Hoy"', 'msgstr "Hoy mismo"'))
    mo = folder / "es" / "LC_MESSAGES" / "messages.mo"
    os.utime(po, ns=(mo.stat().st_mtime_ns + 10**9,) * 2)
    i18n.compile_catalogs(folder, tmp_path / "data")
    assert Translations.load(str(folder), ["es"]).gettext("Today") == "Hoy mismo"


def test_a_read_only_package_compiles_into_the_data_folder(tmp_path, monkeypatch):
    folder = copy_of_the_catalogs(tmp_path)
    real = i18n._compile_stale

    def read_only(source: Path, target: Path) -> None:
        if target == source:
            raise PermissionError(13, "Read-only file system")
        real(source, target)

    monkeypatch.setattr(i18n, "_compile_stale", read_only)
    fallback = tmp_path / "data" / "translations"
    assert i18n.compile_catalogs(folder, fallback) == fallback
    assert not (folder / "es" / "LC_MESSAGES" / "messages.mo").exists()
    assert Translations.load(str(fallback), ["es"]).gettext("Today") == "Hoy"


@pytest.mark.parametrize(
    ("header", "expected"),
    [("es-MX,es;q=0.9", "es"), ("fr-FR,es;q=0.5,en;q=0.4", "es"), ("de", "en"), ("", "en")],
)
def test_the_browser_language_picks_the_best_of_english_and_spanish(client, header, expected):
    page = client.get("/", headers={"Accept-Language": header} if header else {})
    assert f'<html lang="{expected}">' in page.text


def test_every_word_a_script_asks_for_is_in_a_text_group(app):
    from aftercare.i18n import TEXT_GROUPS, all_page_text

    root = Path(__file__).resolve().parents[1] / "static" / "js"
    asked = set()
    asking = re.compile(r'\b(?:text|plural|AftercareText)\("([a-z_]+)"')
    for script in root.glob("*.js"):
        asked |= set(asking.findall(script.read_text()))
    grouped = {key for keys in TEXT_GROUPS.values() for key in keys}
    with app.test_request_context("/today"):
        words = all_page_text()
    assert asked, "no script asks for words: the pattern above is out of date"
    assert asked <= grouped, asked - grouped
    assert grouped == set(words)


@pytest.mark.parametrize(
    ("path", "groups"),
    [("/today", {"countdown", "outbox", "push"}), ("/check-in", {"checkin"}), ("/help", set())],
)
def test_a_page_carries_the_words_of_its_own_scripts_only(phone, path, groups):
    from aftercare.i18n import TEXT_GROUPS

    page = phone.client.get(path).text
    found = re.search(r'<script type="application/json" id="page-text">(.*?)</script>', page)
    carried = set(json.loads(found.group(1))) if found else set()
    assert carried == {key for group in groups for key in TEXT_GROUPS[group]}


def test_a_language_forced_within_a_request_is_used_and_then_left(app):
    from flask_babel import force_locale, gettext

    from aftercare.patient.language import LANGUAGE_COOKIE

    with app.test_request_context("/today", headers={"Cookie": f"{LANGUAGE_COOKIE}=es"}):
        assert gettext("Today") == "Hoy"  # the request's catalog, kept by its language
        with force_locale("en"):
            assert gettext("Today") == "Today"
        assert gettext("Today") == "Hoy"


def test_which_pages_are_english_only_is_for_the_app_to_say(app):
    """i18n knows no feature's addresses: the factory names the clinicians' (under /clinic)."""
    from aftercare.i18n import select_language

    spanish = {"Accept-Language": "es-US,es;q=0.9"}
    with app.app_context(), app.test_request_context("/staff/patients", headers=spanish):
        assert select_language() == "es"
        assert select_language(english_only=("/staff",)) == "en"
    with app.app_context(), app.test_request_context("/clinic/patients", headers=spanish):
        assert select_language() == "es"
        assert select_language(english_only=("/clinic",)) == "en"


def test_the_patient_pages_hand_over_the_patients_language(app):
    from aftercare.i18n import select_language, set_patient_language

    with app.app_context(), app.test_request_context("/today", headers={"Accept-Language": "en"}):
        assert select_language() == "en"
        set_patient_language("es")
        assert select_language() == "es"
        set_patient_language("tlh")  # not one of ours: the browser's, then
        assert select_language() == "en"


def test_a_clinics_wording_is_worked_out_without_writing_to_the_request(app, clinic):
    from flask import g

    from aftercare.i18n import KEPT_IN_ENGLISH, content_for, current_language

    clinic.content = {"not_monitored": "Nobody at Riverside watches this app at night."}
    with app.app_context(), app.test_request_context("/today", headers={"Accept-Language": "es"}):
        assert current_language() == "es"
        before = {name: getattr(g, name) for name in g}
        content = content_for(clinic)
        assert {name: getattr(g, name) for name in g} == before
    assert content["not_monitored"] == "Nobody at Riverside watches this app at night."
    assert content[KEPT_IN_ENGLISH] == {"not_monitored"}
    assert content_for(clinic, "en")[KEPT_IN_ENGLISH] == set()
