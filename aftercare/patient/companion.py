"""The companion link: what the person driving the patient home or staying with them needs.

No account and no patient answers: the instructions, what is normal, what to watch for, when
to call 911 or 988, and the clinic's number. It stops working 24 hours after the infusion ends,
or when the patient revokes it.
"""

from __future__ import annotations

from datetime import timedelta

import segno
from flask import Blueprint, abort, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from .. import audit
from ..care.companion_content import companion_wording
from ..care.content import clinic_content
from ..care.instructions import timed_instructions
from ..extensions import db
from ..fields import Form
from ..i18n import content_for, current_language, translator
from ..links import external_url_for
from ..models import CompanionLink, utcnow
from ..patient_access import current_patient, get_for_patient, patient_required
from ..templating import said_now
from ..tokens import hash_token, new_token

bp = Blueprint("companion", __name__)
LASTS_AFTER_INFUSION = timedelta(hours=24)


class ButtonForm(Form):
    """A button with a CSRF token."""


def qr_code(url: str) -> Markup:
    """The link as a QR code in inline SVG, for the companion to scan from the patient's screen."""
    # segno writes the SVG itself from the URL; nothing in it comes from user input as markup.
    return Markup(  # noqa: S704
        segno.make(url, error="m").svg_inline(scale=5, border=4, title=_("QR code of the link"))
    )


@bp.route("/companion", methods=["GET", "POST"])
@patient_required
def manage() -> ResponseReturnValue:
    """Make a link to share (shown once): share it, copy it or show it as a QR code; and see or
    stop the links made before."""
    patient = current_patient()
    form = ButtonForm()
    infusion = patient.latest_infusion
    url = None
    if form.validate_on_submit():
        if infusion is None or utcnow() >= infusion.ended_at + LASTS_AFTER_INFUSION:
            abort(409, _("A companion link is for the first day after an infusion."))
        token = new_token()
        link = CompanionLink(
            patient_id=patient.id,
            token_hash=hash_token(token),
            expires_at=infusion.ended_at + LASTS_AFTER_INFUSION,
        )
        db.session.add(link)
        audit.record("companion.create", clinic_id=patient.clinic_id, patient_id=patient.id)
        db.session.commit()
        url = external_url_for("companion.view", token=token)
    links = db.session.scalars(
        select(CompanionLink)
        .where(CompanionLink.patient_id == patient.id)
        .order_by(CompanionLink.created_at.desc())
    ).all()
    return render_template(
        "patient/companion.html",
        form=form,
        url=url,
        qr_svg=qr_code(url) if url else None,
        links=links,
        now=utcnow(),
        can_share=infusion is not None and utcnow() < infusion.ended_at + LASTS_AFTER_INFUSION,
        tz=patient.clinic.tz,
    )


@bp.post("/companion/<int:link_id>/revoke")
@patient_required
def revoke(link_id: int) -> ResponseReturnValue:
    patient = current_patient()
    link = get_for_patient(CompanionLink, link_id)
    if ButtonForm().validate_on_submit() and link.revoked_at is None:
        link.revoked_at = utcnow()
        audit.record("companion.revoke", clinic_id=patient.clinic_id, patient_id=patient.id)
        db.session.commit()
    return redirect(url_for("companion.manage"), code=303)


@bp.get("/c/<token>")
def view(token: str) -> ResponseReturnValue:
    """The companion's page: read-only, no patient answers, for a day."""
    link = db.session.scalar(
        select(CompanionLink).where(CompanionLink.token_hash == hash_token(token))
    )
    now = utcnow()
    if link is None or not link.is_usable(now):
        return render_template("companion/gone.html"), (404 if link is None else 410)
    patient = link.patient
    clinic = patient.clinic
    content = content_for(clinic)
    language = current_language()
    translate = translator(language)
    words = companion_wording(content, clinic_content(None, language, translate), translate)
    infusion = patient.latest_infusion
    items = (
        timed_instructions(
            infusion.ended_at,
            now,
            clinic.tz,
            content["windows"],
            words.timed,
            language,
            translate,
        )
        if infusion
        else []
    )
    response = render_template(
        "companion/view.html",
        clinic=clinic,
        content=content,
        words=words,
        items=items,
        ended=said_now(infusion.ended_at, clinic.tz) if infusion else None,
        expires=said_now(link.expires_at, clinic.tz),
    )
    return response, 200, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
