"""The Learn articles: the built-in ones, and a clinic's changes, hidden articles and its own.

A clinic's changes are kept in its content under "learn", by article:

    {"<slug>": {"hidden": true, "en": {"title": ..., "summary": ..., "body": ...}, "es": {...}}}

A built-in article's slug with wording replaces that language's built-in wording; any other
slug is an article the clinic added, which must have English. Only what the clinic changed is
kept, so a built-in article it did not touch improves with the app.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
BASE_LANGUAGE = "en"
LANGUAGES = ("en", "es")
FIELDS = ("title", "summary", "body")
MAX_LENGTH = {"title": 120, "summary": 300, "body": 20_000}
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG = 60

# The articles Today points to at a given moment (moment.py).
DURING_A_SESSION = "during-a-session"
AFTER_A_SESSION = "after-a-session"


class LearnError(ValueError):
    """An article, built in or a clinic's, does not have the shape an article needs."""


@dataclass(frozen=True)
class ArticleText:
    """An article's words in one language; the body is Markdown."""

    title: str
    summary: str
    body: str

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "summary": self.summary, "body": self.body}


@dataclass(frozen=True)
class Article:
    """An article as one clinic's patients read it in one language."""

    slug: str
    text: ArticleText
    # The language `text` is in: English when the clinic wrote its words only in English.
    language: str
    is_built_in: bool
    hidden: bool
    # Whether the clinic changed a built-in article's words (in any language).
    changed: bool


def _front_matter(path: Path) -> ArticleText:
    """An article file: `---`, `title:` and `summary:` lines, `---`, then the Markdown body."""
    lines = path.read_text(encoding="utf-8").split("\n")
    try:
        end = lines.index("---", 1) if lines[0] == "---" else -1
    except ValueError:
        end = -1
    if end < 0:
        raise LearnError(f"{path.name}: starts with a front matter between two '---' lines")
    fields = {}
    for line in lines[1:end]:
        key, colon, value = line.partition(":")
        if not colon or key.strip() not in ("title", "summary"):
            raise LearnError(f"{path.name}: '{line}' is not a title: or summary: line")
        fields[key.strip()] = value.strip()
    body = "\n".join(lines[end + 1 :]).strip()
    if set(fields) != {"title", "summary"} or not all(fields.values()) or not body:
        raise LearnError(f"{path.name}: needs a title, a summary and a body")
    return ArticleText(title=fields["title"], summary=fields["summary"], body=body)


@cache
def built_in() -> dict[str, dict[str, ArticleText]]:
    """Every built-in article by slug, in reading order, with its words in each language."""
    by_language = {}
    for language in LANGUAGES:
        files = sorted(
            (HERE / language).glob("*.md"), key=lambda path: int(path.name.split("-", 1)[0])
        )
        by_language[language] = {path.stem.split("-", 1)[1]: _front_matter(path) for path in files}
    slugs = list(by_language[BASE_LANGUAGE])
    for language, articles in by_language.items():
        if list(articles) != slugs:
            raise LearnError(f"{language}/ must hold the same articles as {BASE_LANGUAGE}/")
    return {slug: {lang: by_language[lang][slug] for lang in LANGUAGES} for slug in slugs}


def _check_text(words: Any, where: str) -> ArticleText:
    if not isinstance(words, Mapping) or set(words) != set(FIELDS):
        raise LearnError(f"{where} must have a title, a summary and a body")
    for field in FIELDS:
        value = words[field]
        if not isinstance(value, str) or len(value) > MAX_LENGTH[field]:
            raise LearnError(f"{where}.{field} must be text of at most {MAX_LENGTH[field]}")
        if field != "summary" and not value.strip():
            raise LearnError(f"{where}.{field} must not be empty")
    return ArticleText(**{field: words[field] for field in FIELDS})


def check_learn(learn: Any) -> None:
    """Raise LearnError unless `learn` is a clinic's article changes in the shape above."""
    if not isinstance(learn, Mapping):
        raise LearnError("learn must be a set of articles by name")
    for slug, change in learn.items():
        where = f"learn.{slug}"
        if not isinstance(slug, str) or len(slug) > MAX_SLUG or not SLUG.fullmatch(slug):
            raise LearnError(f"{where}: a name of lower-case letters, digits and dashes")
        if not isinstance(change, Mapping):
            raise LearnError(f"{where} must be a set of named values")
        for key, value in change.items():
            if key == "hidden":
                if not isinstance(value, bool):
                    raise LearnError(f"{where}.hidden must be true or false")
            elif key in LANGUAGES:
                _check_text(value, f"{where}.{key}")
            else:
                raise LearnError(f"{where}.{key} is not part of an article")
        if slug not in built_in() and BASE_LANGUAGE not in change:
            raise LearnError(f"{where}: an article the clinic adds needs English")


def _article(slug: str, change: Mapping[str, Any], language: str) -> Article:
    defaults = built_in().get(slug)
    own = change.get(language)
    if own is not None:
        text, written_in = ArticleText(**own), language
    elif defaults is not None and BASE_LANGUAGE not in change:
        text, written_in = defaults[language], language
    else:
        # The clinic's English reaches every reader until it writes their language: its change
        # (a new warning, a different time) is never replaced by the old built-in words.
        text, written_in = ArticleText(**change[BASE_LANGUAGE]), BASE_LANGUAGE
    return Article(
        slug=slug,
        text=text,
        language=written_in,
        is_built_in=defaults is not None,
        hidden=bool(change.get("hidden", False)),
        changed=defaults is not None and any(lang in change for lang in LANGUAGES),
    )


def clinic_articles(
    learn: Mapping[str, Any] | None, language: str, *, with_hidden: bool = False
) -> list[Article]:
    """A clinic's articles in `language`: the built-in ones in order, then its own."""
    learn = learn or {}
    check_learn(learn)
    if language not in LANGUAGES:
        language = BASE_LANGUAGE
    slugs = [*built_in(), *(slug for slug in learn if slug not in built_in())]
    articles = [_article(slug, learn.get(slug, {}), language) for slug in slugs]
    return [article for article in articles if with_hidden or not article.hidden]


def new_slug(title: str, taken: set[str]) -> str:
    """A short web address for a clinic's new article, from its title, unlike any taken."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    # Whole words only, leaving room for a "-2" to tell two articles of one title apart.
    stem = ""
    for word in words:
        if len(stem) + len(word) + 1 > MAX_SLUG - 4:
            break
        stem = f"{stem}-{word}" if stem else word
    stem = stem or "article"
    slug, number = stem, 2
    while slug in taken:
        slug, number = f"{stem}-{number}", number + 1
    return slug
