"""Learn articles: the built-in set, a clinic's changes, safe Markdown, and Today's article."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from aftercare.care.learn import (
    AFTER_A_SESSION,
    DURING_A_SESSION,
    LearnError,
    article_for_moment,
    built_in,
    check_learn,
    clinic_articles,
    render_markdown,
)
from aftercare.care.learn.articles import new_slug

NEW_YORK = ZoneInfo("America/New_York")
TOPICS = [
    "how-it-works",
    "during-a-session",
    "after-a-session",
    "side-effects",
    "integration",
    "how-often",
    "addiction",
    "insurance",
]


def words(title: str, body: str = "Some words.", summary: str = "") -> dict[str, str]:
    return {"title": title, "summary": summary, "body": body}


def test_the_built_in_articles_cover_every_topic_in_reading_order():
    assert list(built_in()) == TOPICS
    for languages in built_in().values():
        assert languages["en"].title != languages["es"].title


def test_without_changes_a_clinic_shows_the_built_in_articles():
    articles = clinic_articles(None, "es")
    assert [a.slug for a in articles] == TOPICS
    assert articles[0].text == built_in()["how-it-works"]["es"]
    assert articles[0].language == "es"
    assert not any(a.changed or a.hidden for a in articles)


def test_a_hidden_article_is_left_out_unless_asked_for():
    learn = {"insurance": {"hidden": True}}
    assert "insurance" not in [a.slug for a in clinic_articles(learn, "en")]
    hidden = [a for a in clinic_articles(learn, "en", with_hidden=True) if a.hidden]
    assert [a.slug for a in hidden] == ["insurance"]


def test_a_clinic_edit_in_english_reaches_spanish_readers_until_it_is_translated():
    learn = {"insurance": {"en": words("Our prices")}}
    spanish = {a.slug: a for a in clinic_articles(learn, "es")}
    assert spanish["insurance"].text.title == "Our prices"
    assert spanish["insurance"].language == "en"
    assert spanish["insurance"].changed
    assert spanish["addiction"].language == "es"

    learn["insurance"]["es"] = words("Nuestros precios")
    spanish = {a.slug: a for a in clinic_articles(learn, "es")}
    assert (spanish["insurance"].text.title, spanish["insurance"].language) == (
        "Nuestros precios",
        "es",
    )


def test_a_clinic_edit_in_spanish_only_leaves_the_english_built_in():
    learn = {"insurance": {"es": words("Nuestros precios")}}
    english = {a.slug: a for a in clinic_articles(learn, "en")}
    assert english["insurance"].text == built_in()["insurance"]["en"]


def test_a_clinic_adds_its_own_articles_after_the_built_in_ones():
    learn = {"parking": {"en": words("Where to park")}}
    articles = clinic_articles(learn, "es")
    assert articles[-1].slug == "parking"
    assert (articles[-1].is_built_in, articles[-1].language) == (False, "en")


def test_an_unknown_language_reads_english():
    assert clinic_articles(None, "fr")[0].text == built_in()["how-it-works"]["en"]


@pytest.mark.parametrize(
    ("learn", "message"),
    [
        ([], "set of articles"),
        ({"Bad Name": {}}, "lower-case"),
        ({"x" * 61: {"en": words("T")}}, "lower-case"),
        ({"insurance": "hide"}, "named values"),
        ({"insurance": {"hidden": "yes"}}, "true or false"),
        ({"insurance": {"fr": words("T")}}, "not part of an article"),
        ({"insurance": {"en": {"title": "T"}}}, "title, a summary and a body"),
        ({"insurance": {"en": words("")}}, "title must not be empty"),
        ({"insurance": {"en": words("T", body=" ")}}, "body must not be empty"),
        ({"insurance": {"en": words("T" * 121)}}, "at most 120"),
        ({"insurance": {"en": {**words("T"), "body": 5}}}, "must be text"),
        ({"parking": {"es": words("Dónde estacionar")}}, "needs English"),
    ],
)
def test_a_clinic_change_of_the_wrong_shape_is_refused_with_its_place(learn, message):
    with pytest.raises(LearnError, match=message):
        check_learn(learn)


@pytest.mark.parametrize(
    ("title", "taken", "slug"),
    [
        ("Where to park", set(), "where-to-park"),
        ("Dónde estacionar", set(), "donde-estacionar"),
        ("Where to park", {"where-to-park"}, "where-to-park-2"),
        ("Where to park", {"where-to-park", "where-to-park-2"}, "where-to-park-3"),
        ("¿¡!?", set(), "article"),
        ("word " * 40, set(), ("word-" * 11)[:-1]),
    ],
)
def test_a_new_article_gets_a_readable_address_unlike_any_other(title, taken, slug):
    assert new_slug(title, taken) == slug


# Markdown: what a clinic writes can never put markup of its own on a patient's page.
SAFE_TAGS = {"p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "a", "code"}
SAFE_TAGS |= {"pre", "blockquote", "hr", "br"}


class _Markup(HTMLParser):
    """Every element and attribute in a piece of HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def markup_of(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Markup()
    parser.feed(html)
    return parser.tags


HOSTILE = [
    "<script>alert(1)</script>",
    'Hello <img src=x onerror="alert(1)">',
    "<iframe src='https://evil.example'></iframe>",
    "<a href='https://evil.example' onclick='alert(1)'>tap</a>",
    "<style>body{display:none}</style>",
    "<svg onload=alert(1)>",
    "[tap](javascript:alert(1))",
    "[tap](JAVASCRIPT:alert(1))",
    "[tap]( javascript:alert(1))",
    "[tap](java&#115;cript:alert(1))",
    "[tap](data:text/html;base64,PHNjcmlwdD4=)",
    "[tap](vbscript:msgbox)",
    "[tap](//evil.example/page)",
    "[tap]: javascript:alert(1)\n\n[tap]",
    "<javascript:alert(1)>",
    "![a picture](https://tracker.example/pixel.png)",
    '[tap](https://ok.example "x\\" onmouseover=\\"alert(1)")',
    "```html\n<script>alert(1)</script>\n```",
]


@pytest.mark.parametrize("markdown", HOSTILE)
def test_hostile_markdown_adds_no_markup_of_its_own(markdown):
    for tag, attrs in markup_of(str(render_markdown(markdown))):
        assert tag in SAFE_TAGS
        for name, value in attrs:
            assert name in ("href", "title", "class"), name
            if name == "href":
                assert value.startswith(("https://", "http://", "tel:", "mailto:", "/"))
                assert not value.startswith("//")
            if name == "class":
                assert value.startswith("language-")


def test_raw_html_in_markdown_reaches_the_page_escaped():
    assert "&lt;script&gt;" in render_markdown("<script>alert(1)</script>")


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("## Before", "<h2>Before</h2>"),
        ("# Title in the body", "<h2>Title in the body</h2>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("**Rest** now", "<p><strong>Rest</strong> now</p>"),
        ("[Call us](tel:+15551234567)", '<a href="tel:+15551234567">Call us</a>'),
        ("[Today](/today)", '<a href="/today">Today</a>'),
        ("[988](https://988lifeline.org)", '<a href="https://988lifeline.org">988</a>'),
    ],
)
def test_plain_markdown_renders_as_expected(markdown, html):
    assert html in render_markdown(markdown)


# Today's article: (now, latest infusion ended, morning hour) -> slug, on New York's clock.
def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "ended", "morning_hour", "expected"),
    [
        # No infusion yet: what happens during a session.
        ("2026-03-02 10:00", None, 9, DURING_A_SESSION),
        # From the end of the infusion to the next morning: what to expect tomorrow.
        ("2026-03-02 15:00", "2026-03-02 15:00", 9, AFTER_A_SESSION),
        ("2026-03-02 19:30", "2026-03-02 15:00", 9, AFTER_A_SESSION),
        ("2026-03-03 08:59", "2026-03-02 15:00", 9, AFTER_A_SESSION),
        ("2026-03-03 09:00", "2026-03-02 15:00", 9, None),
        ("2026-03-03 08:00", "2026-03-02 15:00", 7, None),
        ("2026-03-09 19:00", "2026-03-02 15:00", 9, None),
        # An infusion that ends late in the evening still counts until the morning after.
        ("2026-03-02 23:50", "2026-03-02 23:30", 9, AFTER_A_SESSION),
        # The clock of a phone that is a minute behind the infusion's end.
        ("2026-03-02 14:59", "2026-03-02 15:00", 9, None),
        # Daylight saving begins the night after (8 March 2026 in New York).
        ("2026-03-08 08:30", "2026-03-07 16:00", 9, AFTER_A_SESSION),
        ("2026-03-08 09:00", "2026-03-07 16:00", 9, None),
    ],
)
def test_today_points_to_the_article_that_fits_the_moment(now, ended, morning_hour, expected):
    got = article_for_moment(at(now), at(ended) if ended else None, NEW_YORK, morning_hour)
    assert got == expected
