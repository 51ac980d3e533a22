"""Learn: short articles for patients, shipped as Markdown and changed by each clinic.

The built-in articles are the Markdown files in en/ and es/ beside this module, one per
article, named `<order>-<slug>.md`, each starting with a front matter of `title:` and `summary:`.
A clinic's changes live in its content under "learn" (see articles.py).
"""

from .articles import (
    AFTER_A_SESSION,
    DURING_A_SESSION,
    Article,
    ArticleText,
    LearnError,
    built_in,
    check_learn,
    clinic_articles,
)
from .markdown import render_markdown
from .moment import article_for_moment

__all__ = [
    "AFTER_A_SESSION",
    "DURING_A_SESSION",
    "Article",
    "ArticleText",
    "LearnError",
    "article_for_moment",
    "built_in",
    "check_learn",
    "clinic_articles",
    "render_markdown",
]
