"""The clinic's settings page (admins): its name, numbers, wording, time windows and reminders."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import audit
from ..extensions import db
from .access import current_clinic
from .auth import admin_required
from .blueprint import bp
from .forms import WORD_FIELDS, SettingsForm
from .settings_content import english_shown, form_data, overrides_from


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings() -> ResponseReturnValue:
    clinic = current_clinic()
    form = SettingsForm(data=form_data(clinic)) if request.method == "GET" else SettingsForm()
    if form.validate_on_submit():
        clinic.name = form.name.data.strip()
        clinic.timezone = form.timezone.data
        clinic.phone = (form.phone.data or "").strip()
        clinic.after_hours_phone = (form.after_hours_phone.data or "").strip()
        clinic.content, dropped = overrides_from(form, clinic.content or {})
        audit.record("clinic.settings", clinic_id=clinic.id)
        db.session.commit()
        flash("Settings saved. Patients see the new wording on their next visit.")
        if dropped:
            flash(
                "You changed the English but not its translation, so these translations were"
                " removed: " + "; ".join(dropped) + ". Until you write them again, those"
                " patients see your new English."
            )
        return redirect(url_for("clinic.settings"), code=303)
    return render_template(
        "clinic/settings.html",
        form=form,
        form_word_fields=list(WORD_FIELDS),
        english_shown=english_shown(clinic),
    ), (422 if form.errors else 200)
