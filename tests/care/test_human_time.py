"""Moments in words: one function for every time a patient reads, in English and Spanish."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from aftercare.care.human_time import clinic_midnights, human_time, wording_over_time

NEW_YORK = ZoneInfo("America/New_York")
SPANISH_PO = (
    Path(__file__).resolve().parents[2] / "aftercare/translations/es/LC_MESSAGES/messages.po"
)


@cache
def _spanish_catalog() -> dict[str, str]:
    with SPANISH_PO.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    return {
        (f"{message.context}\x04{message.id}" if message.context else message.id): message.string
        for message in catalog
        if message.id and isinstance(message.id, str)
    }


def spanish(text: str) -> str:
    """The real Spanish catalog, as the app's translator reads it."""
    return _spanish_catalog().get(text) or text


def ny(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NEW_YORK)


# Thursday 19 November 2026, 10 AM in New York.
THURSDAY = ny(2026, 11, 19, 10, 0)

CASES = [
    # (read at, moment, English, Spanish)
    (THURSDAY, ny(2026, 11, 19, 15, 40), "today at 3:40 PM", "hoy a las 3:40 p. m."),
    (THURSDAY, ny(2026, 11, 19, 12, 0), "today at noon", "hoy al mediodía"),
    # Evening times later today are "tonight".
    (THURSDAY, ny(2026, 11, 19, 23, 0), "tonight at 11 PM", "esta noche a las 11 p. m."),
    (THURSDAY, ny(2026, 11, 19, 18, 0), "tonight at 6 PM", "esta noche a las 6 p. m."),
    (THURSDAY, ny(2026, 11, 19, 17, 59), "today at 5:59 PM", "hoy a las 5:59 p. m."),
    # Midnight ends a day: the one that ends today is tonight's.
    (THURSDAY, ny(2026, 11, 20, 0, 0), "tonight at midnight", "esta noche a la medianoche"),
    (THURSDAY, ny(2026, 11, 20, 0, 1), "tomorrow at 12:01 AM", "mañana a las 12:01 a. m."),
    (
        THURSDAY,
        ny(2026, 11, 21, 0, 0),
        "tomorrow night at midnight",
        "mañana por la noche a la medianoche",
    ),
    (THURSDAY, ny(2026, 11, 19, 0, 0), "last night at midnight", "anoche a la medianoche"),
    (THURSDAY, ny(2026, 11, 20, 12, 0), "tomorrow at noon", "mañana al mediodía"),
    # One o'clock is singular in Spanish.
    (THURSDAY, ny(2026, 11, 20, 13, 30), "tomorrow at 1:30 PM", "mañana a la 1:30 p. m."),
    (THURSDAY, ny(2026, 11, 20, 1, 0), "tomorrow at 1 AM", "mañana a la 1 a. m."),
    (THURSDAY, ny(2026, 11, 18, 21, 15), "yesterday at 9:15 PM", "ayer a las 9:15 p. m."),
    # Within the week, the weekday; further, the date as well.
    (THURSDAY, ny(2026, 11, 21, 15, 40), "Saturday at 3:40 PM", "el sábado a las 3:40 p. m."),
    (THURSDAY, ny(2026, 11, 25, 9, 0), "Wednesday at 9 AM", "el miércoles a las 9 a. m."),
    (THURSDAY, ny(2026, 11, 16, 9, 0), "Monday at 9 AM", "el lunes a las 9 a. m."),
    (
        THURSDAY,
        ny(2026, 11, 26, 15, 40),
        "Thursday, November 26 at 3:40 PM",
        "el jueves 26 de noviembre a las 3:40 p. m.",
    ),
    (
        ny(2026, 12, 30, 9, 0),
        ny(2027, 1, 8, 10, 0),
        "Friday, January 8, 2027 at 10 AM",
        "el viernes 8 de enero de 2027 a las 10 a. m.",
    ),
    # The week boundary: late on Saturday, Sunday is "tomorrow", Monday a weekday.
    (ny(2026, 11, 21, 23, 59), ny(2026, 11, 22, 0, 30), "tomorrow at 12:30 AM", None),
    (ny(2026, 11, 21, 23, 59), ny(2026, 11, 23, 9, 0), "Monday at 9 AM", None),
    (ny(2026, 11, 22, 0, 0), ny(2026, 11, 21, 23, 59), "yesterday at 11:59 PM", None),
    # Clocks go forward on Sunday 8 March 2026 at 2 AM: there is no 2:30 AM that day.
    (ny(2026, 3, 7, 15, 0), ny(2026, 3, 8, 16, 0), "tomorrow at 4 PM", "mañana a las 4 p. m."),
    (
        datetime(2026, 3, 8, 6, 30, tzinfo=UTC),  # 1:30 AM, before the change
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # an hour later: 3:30 AM, after it
        "today at 3:30 AM",
        "hoy a las 3:30 a. m.",
    ),
    # ...and midnight after the change is 04:00 UTC, not 05:00.
    (ny(2026, 3, 8, 12, 0), datetime(2026, 3, 9, 4, 0, tzinfo=UTC), "tonight at midnight", None),
    (ny(2026, 3, 8, 12, 0), datetime(2026, 3, 9, 5, 0, tzinfo=UTC), "tomorrow at 1 AM", None),
    # Clocks go back on Sunday 1 November 2026 at 2 AM: 1:30 AM comes twice.
    (
        datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        "today at 1:30 AM",
        None,
    ),
    (
        datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
        "today at 1:30 AM",
        None,
    ),
    (
        datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 2, 5, 0, tzinfo=UTC),
        "tonight at midnight",
        "esta noche a la medianoche",
    ),
    (
        datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 2, 4, 0, tzinfo=UTC),
        "tonight at 11 PM",
        None,
    ),
]


def plain(text: str) -> str:
    # CLDR puts a narrow no-break space inside "p. m."; the tests read it as a space.
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize(("now", "moment", "english", "in_spanish"), CASES)
def test_a_moment_is_worded_as_a_patient_reads_it(now, moment, english, in_spanish):
    assert human_time(moment, now, NEW_YORK) == english
    if in_spanish is not None:
        assert plain(human_time(moment, now, NEW_YORK, "es", spanish)) == in_spanish


def test_the_clinics_zone_decides_the_day_and_the_clock():
    moment = datetime(2026, 7, 1, 19, 5, tzinfo=UTC)
    now = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert human_time(moment, now, NEW_YORK) == "today at 3:05 PM"
    assert human_time(moment, now, ZoneInfo("Asia/Tokyo")) == "tomorrow at 4:05 AM"


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="aware"):
        human_time(datetime(2026, 1, 1, 12), datetime.now(UTC), NEW_YORK)


def test_each_clinic_day_starts_at_its_own_midnight_across_a_daylight_saving_change():
    spring = clinic_midnights(ny(2026, 3, 7, 12, 0), NEW_YORK, date(2026, 3, 9))
    assert [m.astimezone(UTC).hour for m in spring] == [5, 4]  # EST, then EDT
    autumn = clinic_midnights(ny(2026, 10, 31, 12, 0), NEW_YORK, date(2026, 11, 2))
    assert [m.astimezone(UTC).hour for m in autumn] == [4, 5]  # EDT, then EST
    assert all(m.astimezone(NEW_YORK).time().hour == 0 for m in spring + autumn)


def test_a_wording_is_listed_for_each_day_it_changes_on():
    moment = ny(2026, 3, 8, 16, 0)  # Sunday 4 PM, after the clocks go forward

    def until(read_at: datetime) -> str:
        return f"until {human_time(moment, read_at, NEW_YORK)}"

    later = wording_over_time(ny(2026, 3, 7, 15, 0), NEW_YORK, until, date(2026, 3, 10))
    assert [(w.starts.astimezone(UTC).isoformat(), w.text) for w in later] == [
        ("2026-03-08T05:00:00+00:00", "until today at 4 PM"),
        ("2026-03-09T04:00:00+00:00", "until yesterday at 4 PM"),
        ("2026-03-10T04:00:00+00:00", "until Sunday at 4 PM"),
    ]


def test_wordings_read_once_at_each_midnight_are_every_wording_there_is():
    """Read every quarter hour for a week: the text only ever changes at a listed midnight."""
    now = ny(2026, 10, 29, 20, 10)
    moment = ny(2026, 11, 1, 1, 30)

    def words(read_at: datetime) -> str:
        return human_time(moment, read_at, NEW_YORK)

    later = wording_over_time(now, NEW_YORK, words, date(2026, 11, 8))
    expected = words(now)
    # A page keeps its wordings for WORDINGS_FOR_DAYS (8) days: read it over that stretch.
    for quarter in range(8 * 24 * 4):
        read_at = datetime.fromtimestamp(now.timestamp() + quarter * 900, UTC)
        for wording in later:
            if wording.starts <= read_at:
                expected = wording.text
        assert words(read_at) == expected, read_at
