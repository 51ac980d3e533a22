"""Which questionnaire occurrences get a reminder: a table, with no app and no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftercare.care.questionnaire_calendar import Course, QuestionnaireSchedule
from aftercare.care.reminder_rules import (
    QUESTIONNAIRE_PLAN_AHEAD,
    PlannedReminder,
    questionnaire_prompts,
)

NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
WORDS = {"questionnaire_title": "A few questions", "questionnaire_body": "It takes 5 minutes."}
PHQ9_FORTNIGHTLY = QuestionnaireSchedule(every_days={"phq9": 14}, before_booster=("phq9",))
# PHQ-9 only before boosters, PCL-5 every four weeks.
PHQ9_BEFORE_BOOSTERS = QuestionnaireSchedule(every_days={"pcl5": 28}, before_booster=("phq9",))


def ny(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


# The first infusion ended on Monday 2 November 2026 at 11:00 in New York.
START = ny(11, 2, 11)


def course(schedule: QuestionnaireSchedule, *boosters: datetime, tz: ZoneInfo = NEW_YORK) -> Course:
    return Course(schedule, tz, START, tuple(boosters))


# (id, course, now, the reminders: (kind, due, expires))
CASES = [
    ("no infusion yet: none", Course(PHQ9_FORTNIGHTLY, NEW_YORK, None), START, []),
    (
        "each occurrence within eight weeks, from the day after the first infusion",
        course(PHQ9_FORTNIGHTLY),
        START,
        [
            ("questionnaire_phq9", ny(11, 3), ny(11, 17)),
            ("questionnaire_phq9", ny(11, 17), ny(12, 1)),
            ("questionnaire_phq9", ny(12, 1), ny(12, 15)),
            ("questionnaire_phq9", ny(12, 15), ny(12, 29)),
        ],
    ),
    (
        "an occurrence due now or earlier gets none; one due at the horizon does",
        course(PHQ9_FORTNIGHTLY),
        ny(11, 3),
        [
            ("questionnaire_phq9", ny(11, 17), ny(12, 1)),
            ("questionnaire_phq9", ny(12, 1), ny(12, 15)),
            ("questionnaire_phq9", ny(12, 15), ny(12, 29)),
            ("questionnaire_phq9", ny(12, 29), ny(1, 12, year=2027)),
        ],
    ),
    (
        "one beyond eight weeks waits for a later plan",
        course(PHQ9_FORTNIGHTLY),
        ny(11, 3, 9, 59),
        [
            ("questionnaire_phq9", ny(11, 3), ny(11, 17)),
            ("questionnaire_phq9", ny(11, 17), ny(12, 1)),
            ("questionnaire_phq9", ny(12, 1), ny(12, 15)),
            ("questionnaire_phq9", ny(12, 15), ny(12, 29)),
        ],
    ),
    (
        "a booster's questionnaire inside an open regular one: one reminder, the regular one",
        course(PHQ9_FORTNIGHTLY, ny(12, 5, 9)),
        START,
        [
            ("questionnaire_phq9", ny(11, 3), ny(11, 17)),
            ("questionnaire_phq9", ny(11, 17), ny(12, 1)),
            ("questionnaire_phq9", ny(12, 1), ny(12, 15)),
            ("questionnaire_phq9", ny(12, 15), ny(12, 29)),
        ],
    ),
    (
        "a questionnaire asked only before boosters: its own, until the booster starts",
        course(PHQ9_BEFORE_BOOSTERS, ny(12, 5, 9)),
        START,
        [
            ("questionnaire_pcl5", ny(11, 3), ny(12, 1)),
            ("questionnaire_pcl5", ny(12, 1), ny(12, 29)),
            ("questionnaire_phq9", ny(12, 3), ny(12, 5, 9)),
        ],
    ),
    (
        "two boosters a day apart: one reminder each, each until its booster",
        course(PHQ9_BEFORE_BOOSTERS, ny(12, 5, 9), ny(12, 6, 9)),
        START,
        [
            ("questionnaire_pcl5", ny(11, 3), ny(12, 1)),
            ("questionnaire_pcl5", ny(12, 1), ny(12, 29)),
            ("questionnaire_phq9", ny(12, 3), ny(12, 5, 9)),
            ("questionnaire_phq9", ny(12, 4), ny(12, 6, 9)),
        ],
    ),
    (
        "two boosters at the same time: one reminder",
        course(PHQ9_BEFORE_BOOSTERS, ny(12, 5, 9), ny(12, 5, 9)),
        START,
        [
            ("questionnaire_pcl5", ny(11, 3), ny(12, 1)),
            ("questionnaire_pcl5", ny(12, 1), ny(12, 29)),
            ("questionnaire_phq9", ny(12, 3), ny(12, 5, 9)),
        ],
    ),
    (
        "a booster whose questionnaire time has passed: none for it",
        course(PHQ9_BEFORE_BOOSTERS, ny(11, 4, 9)),
        ny(11, 2, 12),
        [
            ("questionnaire_pcl5", ny(11, 3), ny(12, 1)),
            ("questionnaire_pcl5", ny(12, 1), ny(12, 29)),
        ],
    ),
    (
        "a booster beyond eight weeks: not yet",
        course(PHQ9_BEFORE_BOOSTERS, START + QUESTIONNAIRE_PLAN_AHEAD + timedelta(days=3)),
        START,
        [
            ("questionnaire_pcl5", ny(11, 3), ny(12, 1)),
            ("questionnaire_pcl5", ny(12, 1), ny(12, 29)),
        ],
    ),
    (
        "nothing asked: none",
        course(QuestionnaireSchedule(every_days={}, before_booster=()), ny(12, 5, 9)),
        START,
        [],
    ),
    (
        "the clinic's zone and hour place them (Tokyo, 8 AM)",
        course(QuestionnaireSchedule(every_days={"gad7": 28}, hour=8), tz=TOKYO),
        START,
        [
            (
                "questionnaire_gad7",
                datetime(2026, 11, 4, 8, tzinfo=TOKYO).astimezone(UTC),
                datetime(2026, 12, 2, 8, tzinfo=TOKYO).astimezone(UTC),
            ),
            (
                "questionnaire_gad7",
                datetime(2026, 12, 2, 8, tzinfo=TOKYO).astimezone(UTC),
                datetime(2026, 12, 30, 8, tzinfo=TOKYO).astimezone(UTC),
            ),
        ],
    ),
]


@pytest.mark.parametrize(
    ("course", "now", "expected"), [pytest.param(*case[1:], id=case[0]) for case in CASES]
)
def test_the_reminders_a_course_gets(course: Course, now: datetime, expected: list) -> None:
    plans = questionnaire_prompts(course, WORDS, now)
    assert [(p.kind, p.due_at, p.expires_at) for p in plans] == expected


def test_each_says_the_same_calm_words_and_opens_its_questionnaire():
    plans = questionnaire_prompts(course(PHQ9_BEFORE_BOOSTERS, ny(12, 5, 9)), WORDS, START)
    assert plans and all(isinstance(p, PlannedReminder) for p in plans)
    assert {(p.title, p.body, p.urgency) for p in plans} == {
        ("A few questions", "It takes 5 minutes.", "normal")
    }
    assert all(p.url == "/questionnaires/" + p.kind.removeprefix("questionnaire_") for p in plans)


def test_the_default_schedule_plans_one_reminder_per_occurrence_without_repeats():
    plans = questionnaire_prompts(course(QuestionnaireSchedule(), ny(12, 5, 9)), WORDS, START)
    keys = [(p.kind, p.due_at) for p in plans]
    assert len(keys) == len(set(keys))
    counts = {kind: sum(1 for k, _ in keys if k == kind) for kind, _ in keys}
    # Weekly PCL-5 and fortnightly PHQ-9 and GAD-7 over eight weeks; the booster's PHQ-9 and
    # GAD-7 fall inside open regular ones.
    assert counts == {"questionnaire_pcl5": 8, "questionnaire_phq9": 4, "questionnaire_gad7": 4}
