"""Article Markdown to HTML, with nothing from the text able to add markup of its own."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

# Where a link in an article may go: the web, a phone number, an email, or a page of the app.
# Images are off: a picture from another site would tell that site who reads the article.
SAFE_LINK_PREFIXES = ("https://", "http://", "tel:", "mailto:", "/")


def _safe_link(url: str) -> bool:
    url = url.strip().lower()
    # "//host" is another site with the page's scheme, not a page of the app.
    return url.startswith(SAFE_LINK_PREFIXES) and not url.startswith("//")


def _parser() -> MarkdownIt:
    # CommonMark with raw HTML off: "<script>" in an article is shown as text, never run.
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.disable(["image", "html_block", "html_inline"])
    parser.validateLink = _safe_link  # type: ignore[method-assign]
    return parser


_PARSER = _parser()


def render_markdown(text: str) -> Markup:
    """An article's Markdown as HTML; its headings start at level 2, under the page's title."""
    tokens = _PARSER.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and token.tag == "h1":
            token.tag = "h2"
    # markdown-it escapes every piece of text and attribute it writes, and raw HTML is off.
    return Markup(_PARSER.renderer.render(tokens, _PARSER.options, {}))  # noqa: S704
