"""Learn articles (admins): edit, hide or add the articles patients read, with a preview."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import audit
from ..care.learn import built_in, clinic_articles, render_markdown
from ..extensions import db
from .access import current_clinic
from .auth import admin_required
from .blueprint import bp
from .learn_content import ArticleForm, form_data, learn_after, spanish_shows_english


def _learn() -> dict[str, Any]:
    return dict((current_clinic().content or {}).get("learn", {}))


@bp.get("/learn")
@admin_required
def learn_articles() -> ResponseReturnValue:
    learn = _learn()
    articles = clinic_articles(learn, "en", with_hidden=True)
    return render_template(
        "clinic/learn.html",
        articles=articles,
        in_english={a.slug for a in articles if spanish_shows_english(learn, a.slug)},
    )


def _edit(slug: str | None) -> ResponseReturnValue:
    learn = _learn()
    if slug is not None and slug not in built_in() and slug not in learn:
        abort(404)
    form = ArticleForm(data=form_data(learn, slug)) if request.method == "GET" else ArticleForm()
    preview = None
    if form.validate_on_submit():
        if request.form.get("action") == "preview":
            preview = {
                language: (text, render_markdown(text.body))
                for language in ("en", "es")
                if (text := form.text(language)) is not None
            }
        else:
            clinic = current_clinic()
            after, slug, dropped = learn_after(learn, slug, form)
            # A new dict, so that the JSON column is seen to have changed.
            content = {k: v for k, v in (clinic.content or {}).items() if k != "learn"}
            clinic.content = {**content, "learn": after} if after else content
            audit.record(
                "clinic.learn",
                clinic_id=clinic.id,
                detail={"article": slug, "hidden": bool(form.hidden.data)},
            )
            db.session.commit()
            flash("Article saved. Patients see it on their next visit.")
            if dropped:
                flash(
                    "You changed the English but not the Spanish, so the Spanish was removed."
                    " Until you write it again, Spanish readers see your new English."
                )
            return redirect(url_for("clinic.learn_article", slug=slug), code=303)
    return render_template(
        "clinic/learn_edit.html",
        form=form,
        slug=slug,
        is_built_in=slug in built_in(),
        spanish_shows_english=slug is not None and spanish_shows_english(learn, slug),
        preview=preview,
    ), (422 if form.errors else 200)


@bp.route("/learn/new", methods=["GET", "POST"])
@admin_required
def learn_new() -> ResponseReturnValue:
    return _edit(None)


@bp.route("/learn/<slug>", methods=["GET", "POST"])
@admin_required
def learn_article(slug: str) -> ResponseReturnValue:
    return _edit(slug)
