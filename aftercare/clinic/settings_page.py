"""The clinic's settings (admins): a list of short sections, each saved on its own page with a
preview of what patients see in each language."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import audit
from ..care.content import clinic_content
from ..extensions import db
from ..i18n import LANGUAGES, translator
from .access import current_clinic
from .auth import admin_required
from .blueprint import bp
from .settings_content import built_in_wording, english_shown
from .settings_preview import candidate, patient_views
from .settings_sections import SECTIONS, section_named


@bp.get("/settings")
@admin_required
def settings() -> ResponseReturnValue:
    return render_template("clinic/settings/index.html", sections=SECTIONS)


@bp.route("/settings/<slug>", methods=["GET", "POST"])
@admin_required
def settings_section(slug: str) -> ResponseReturnValue:
    """One section: its form, saved alone; "Preview" shows unsaved values without saving."""
    section = section_named(slug)
    if section is None:
        abort(404)
    clinic = current_clinic()
    saved = clinic_content(clinic.content)
    if request.method == "GET":
        form = section.form(data=section.values(clinic), saved=saved)
    else:
        form = section.form(saved=saved)
    valid = form.validate_on_submit()
    previewing = request.form.get("action") == "preview"
    if valid and not previewing:
        dropped = section.apply(clinic, form)
        audit.record("clinic.settings", clinic_id=clinic.id, detail={"section": section.slug})
        db.session.commit()
        flash(f"{section.title}: saved. Patients see the change on their next visit.")
        if dropped:
            flash(
                "You changed the English but not its translation, so these translations were"
                " removed: " + "; ".join(dropped) + ". Until you write them again, those"
                " patients see your new English."
            )
        return redirect(url_for("clinic.settings_section", slug=section.slug), code=303)
    other = {language: translator(language) for language in LANGUAGES if language != "en"}
    return render_template(
        "clinic/settings/section.html",
        section=section,
        sections=SECTIONS,
        form=form,
        built_in=built_in_wording(clinic.content, section.word_paths, other),
        english_shown=english_shown(clinic.content, section.word_paths),
        previews=patient_views(section, candidate(section, clinic, form if valid else None)),
        unsaved=valid and previewing,
    ), (422 if form.errors else 200)
