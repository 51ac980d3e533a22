"""The Learn article form, and turning it into the clinic's article changes, keeping only real
changes."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..care.learn import ArticleText, built_in, check_learn
from ..care.learn.articles import BASE_LANGUAGE, MAX_LENGTH, new_slug
from ..fields import Form

MARKDOWN_HINT = (
    "Markdown: a blank line between paragraphs, '## ' for a heading, '- ' for a list item, "
    "**bold**, [words](https://link). HTML is shown as text, never used."
)


class ArticleForm(Form):
    en_title = StringField(
        "Title (English)", validators=[InputRequired(), Length(max=MAX_LENGTH["title"])]
    )
    en_summary = StringField(
        "One-line summary (English)", validators=[Optional(), Length(max=MAX_LENGTH["summary"])]
    )
    en_body = TextAreaField(
        "Article (English)",
        description=MARKDOWN_HINT,
        validators=[InputRequired(), Length(max=MAX_LENGTH["body"])],
        render_kw={"rows": 16},
    )
    es_title = StringField(
        "Title (Spanish)", validators=[Optional(), Length(max=MAX_LENGTH["title"])]
    )
    es_summary = StringField(
        "One-line summary (Spanish)", validators=[Optional(), Length(max=MAX_LENGTH["summary"])]
    )
    es_body = TextAreaField(
        "Article (Spanish)",
        description="Leave the title and the article empty to show Spanish readers your English.",
        validators=[Optional(), Length(max=MAX_LENGTH["body"])],
        render_kw={"rows": 16},
    )
    hidden = BooleanField("Hide this article from patients")

    def validate(self, extra_validators: Any = None) -> bool:  # noqa: ANN401
        valid = super().validate(extra_validators)
        title, body = (self.es_title.data or "").strip(), (self.es_body.data or "").strip()
        if bool(title) != bool(body):
            (self.es_body if title else self.es_title).errors = [
                *self.es_title.errors,
                "Write both the Spanish title and the Spanish article, or neither.",
            ]
            return False
        return valid

    def text(self, language: str) -> ArticleText | None:
        """The words written in `language`, or None when its boxes are empty."""
        title = (self[f"{language}_title"].data or "").strip()
        # Browsers send a text area's lines ended by CR LF; articles are kept with LF alone.
        body = (self[f"{language}_body"].data or "").replace("\r\n", "\n").strip()
        if not title or not body:
            return None
        summary = (self[f"{language}_summary"].data or "").strip()
        return ArticleText(title=title, summary=summary, body=body)


def _shown(learn: dict[str, Any], slug: str, language: str) -> ArticleText | None:
    """The words in `language` the form starts with: the clinic's own, else the built-in ones
    unless the clinic changed the English (then none: readers see its English)."""
    change = learn.get(slug, {})
    if language in change:
        return ArticleText(**change[language])
    defaults = built_in().get(slug)
    if defaults is not None and (language == BASE_LANGUAGE or BASE_LANGUAGE not in change):
        return defaults[language]
    return None


def form_data(learn: dict[str, Any], slug: str | None) -> dict[str, Any]:
    """The values the article form starts with (empty for a new article)."""
    data: dict[str, Any] = {"hidden": bool(slug and learn.get(slug, {}).get("hidden"))}
    for language in ("en", "es"):
        text = _shown(learn, slug, language) if slug else None
        for field in ("title", "summary", "body"):
            data[f"{language}_{field}"] = getattr(text, field) if text else ""
    return data


def spanish_shows_english(learn: dict[str, Any], slug: str) -> bool:
    """Whether Spanish readers see this article in the clinic's English for now."""
    return _shown(learn, slug, "es") is None


def learn_after(
    learn: dict[str, Any], slug: str | None, form: ArticleForm
) -> tuple[dict[str, Any], str, bool]:
    """The clinic's article changes once the form is saved, the article's slug, and whether
    a Spanish text was dropped because the English changed and it did not.

    A Spanish text left as it was while the English changed no longer says what the English
    says: it is dropped, so Spanish readers see the new English until the clinic writes it,
    never old advice.
    """
    english, spanish = form.text("en"), form.text("es")
    assert english is not None  # the form requires it
    if slug is None:
        # "new" is the address of the form for a new article.
        slug = new_slug(english.title, set(built_in()) | set(learn) | {"new"})
    defaults = built_in().get(slug)
    change: dict[str, Any] = {}
    if defaults is None or english != defaults["en"]:
        change["en"] = english.as_dict()
    dropped = False
    english_changed = english != _shown(learn, slug, "en")
    if spanish is not None and english_changed and spanish == _shown(learn, slug, "es"):
        spanish, dropped = None, True
    if spanish is not None and (defaults is None or "en" in change or spanish != defaults["es"]):
        change["es"] = spanish.as_dict()
    if form.hidden.data:
        change["hidden"] = True
    after = {key: value for key, value in learn.items() if key != slug}
    if change:
        after[slug] = change
    check_learn(after)
    return after, slug, dropped
