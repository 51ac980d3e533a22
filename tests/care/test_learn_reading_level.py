"""Every built-in Learn article reads at a 6th-grade level or lower, in English and Spanish.

Patients read these drowsy, dizzy or dissociated. English is held to a Flesch-Kincaid grade of
6 or lower; Spanish to a Fernández-Huerta score of 70 or higher (the Spanish adaptation of
Flesch reading ease, where 70 and above is "fairly easy", read by about 12-year-olds).
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
import textstat

from aftercare.care.learn import built_in, render_markdown

MAX_GRADE = 6
MIN_FERNANDEZ_HUERTA = 70
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4"}


class _Sentences(HTMLParser):
    """The text a reader reads, one block (paragraph, list item, heading) at a time."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._words: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in BLOCKS:
            self.end_block()

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self.end_block()

    def handle_data(self, data: str) -> None:
        self._words.append(data)

    def end_block(self) -> None:
        text = " ".join("".join(self._words).split())
        self._words = []
        if text:
            # A heading or a list item is read as a sentence of its own.
            self.blocks.append(text if text[-1] in ".?!:" else f"{text}.")


def readable_text(title: str, body: str) -> str:
    parser = _Sentences()
    parser.feed(f"<h1>{title}</h1>{render_markdown(body)}")
    parser.end_block()
    return " ".join(parser.blocks)


ARTICLES = list(built_in().items())


def test_there_are_built_in_articles_in_both_languages():
    assert len(ARTICLES) >= 8
    assert all(set(languages) == {"en", "es"} for _, languages in ARTICLES)


def test_the_text_measured_is_the_text_a_reader_sees():
    text = readable_text("A title", "One line\n\n- an item\n- Another item.")
    assert text == "A title. One line. an item. Another item."


@pytest.mark.parametrize(("slug", "languages"), ARTICLES, ids=[slug for slug, _ in ARTICLES])
def test_each_english_article_is_at_grade_6_or_lower(slug, languages):
    textstat.set_lang("en_US")
    article = languages["en"]
    grade = textstat.flesch_kincaid_grade(readable_text(article.title, article.body))
    assert grade <= MAX_GRADE, f"{slug}: Flesch-Kincaid grade {grade}"


@pytest.mark.parametrize(("slug", "languages"), ARTICLES, ids=[slug for slug, _ in ARTICLES])
def test_each_spanish_article_scores_70_or_higher_on_fernandez_huerta(slug, languages):
    textstat.set_lang("es")
    article = languages["es"]
    score = textstat.fernandez_huerta(readable_text(article.title, article.body))
    assert score >= MIN_FERNANDEZ_HUERTA, f"{slug}: Fernández-Huerta {score}"
