"""The journal's questions (admins): the clinic sets them in English and Spanish."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import TextAreaField
from wtforms.validators import ValidationError

from .. import audit
from ..care.journal import DEFAULT_PROMPTS, prompt_lines, prompts_problem, stored_prompts
from ..extensions import db
from ..fields import Form
from .access import current_clinic
from .auth import admin_required
from .blueprint import bp


def _check(form: Form, field: TextAreaField) -> None:
    problem = prompts_problem(prompt_lines(field.data or ""))
    if problem:
        raise ValidationError(problem)


class JournalPromptsForm(Form):
    english = TextAreaField(
        "Questions in English, one a line",
        description="Leave empty for the defaults. Patients may answer them or leave them.",
        validators=[_check],
        render_kw={"rows": 5},
    )
    spanish = TextAreaField(
        "Questions in Spanish, one a line",
        description=(
            "Leave empty to use the app's Spanish for the default questions, or, where you"
            " changed the English, your English. If you change the English, change the Spanish"
            " too."
        ),
        validators=[_check],
        render_kw={"rows": 5},
    )


@bp.route("/journal-prompts", methods=["GET", "POST"])
@admin_required
def journal_prompts() -> ResponseReturnValue:
    clinic = current_clinic()
    saved = clinic.journal_prompts or {}
    if request.method == "GET":
        form = JournalPromptsForm(
            data={
                "english": "\n".join(saved.get("en") or DEFAULT_PROMPTS),
                "spanish": "\n".join(saved.get("es") or []),
            }
        )
    else:
        form = JournalPromptsForm()
    if form.validate_on_submit():
        clinic.journal_prompts = stored_prompts(
            prompt_lines(form.english.data or ""), prompt_lines(form.spanish.data or "")
        )
        audit.record(
            "clinic.journal_prompts",
            clinic_id=clinic.id,
            detail={"default": clinic.journal_prompts is None},
        )
        db.session.commit()
        flash("Journal questions saved. Patients see them the next time they open the journal.")
        return redirect(url_for("clinic.journal_prompts"), code=303)
    return render_template("clinic/journal_prompts.html", form=form), (422 if form.errors else 200)
