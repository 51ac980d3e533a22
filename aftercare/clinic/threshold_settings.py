"""Settings, thresholds (admins): where published thresholds disagree, the clinic chooses which
one classifies its patients' questionnaires. Its own page, linked from the settings page."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms import RadioField
from wtforms.validators import InputRequired

from .. import audit
from ..care.instruments import Instrument
from ..care.measurement import meaningful_choices
from ..extensions import db
from ..fields import Form
from ..questionnaires.service import instruments
from ..questionnaires.thresholds import choose, chosen
from .access import current_clinic
from .auth import admin_required
from .blueprint import bp


def _with_choices() -> dict[str, Instrument]:
    """The instruments whose sources disagree, by id."""
    return {key: i for key, i in instruments().items() if meaningful_choices(i)}


def _form(known: dict[str, Instrument], current: dict[str, int]) -> Form:
    """One choice per instrument: its published values of clinically meaningful change."""

    class ThresholdForm(Form):
        pass

    for key, instrument in known.items():
        options = meaningful_choices(instrument)
        field = RadioField(
            f"{instrument.short_title}: clinically meaningful change",
            choices=[(option.value, f"{option.value} points") for option in options],
            coerce=int,
            default=current.get(key, options[0].value),
            validators=[InputRequired(message="Choose one of the published values.")],
        )
        setattr(ThresholdForm, key, field)
    return ThresholdForm()


@bp.route("/settings/thresholds", methods=["GET", "POST"])
@admin_required
def threshold_settings() -> ResponseReturnValue:
    clinic = current_clinic()
    known = _with_choices()
    form = _form(known, chosen(clinic.id))
    if form.validate_on_submit():
        changed = choose(clinic.id, current_user.id, {key: form[key].data for key in known})
        if changed:
            audit.record(
                "clinic.thresholds",
                clinic_id=clinic.id,
                detail={
                    key: {"meaningful_before": was, "meaningful_after": now}
                    for key, (was, now) in changed.items()
                },
            )
        db.session.commit()
        flash(
            "Thresholds saved. Every questionnaire is classified with them from now on, earlier"
            " ones too."
            if changed
            else "Nothing changed."
        )
        return redirect(url_for("clinic.threshold_settings"), code=303)
    return render_template(
        "clinic/thresholds.html",
        form=form,
        known=known,
        choices={key: meaningful_choices(i) for key, i in known.items()},
    ), (422 if form.errors else 200)
