"""The forms that share one journal entry with the care team, and take it back.

Both may wait on the phone in the outbox (static/js/outbox.js) before they are sent, so both
carry a long-lived token and an idempotency key (aftercare/submissions.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..care.journal import (
    ANSWER_MAX_LENGTH,
    MOOD_HIGHEST,
    MOOD_LOWEST,
    MOST_PROMPTS,
    PROMPT_MAX_LENGTH,
    TEXT_MAX_LENGTH,
)
from ..fields import SmallIntegerField
from ..submissions import CLOCK_AHEAD, IDEMPOTENCY_KEY, LongLivedTokenForm, believable_time

# An entry kept on a phone for longer than this is not believed to be one.
OLDEST_ENTRY = timedelta(days=3 * 366)


def _key_field() -> HiddenField:
    return HiddenField(
        validators=[
            InputRequired(message=_l("The form is missing its key. Please reload the page.")),
            Regexp(IDEMPOTENCY_KEY, message=_l("The form's key is not valid.")),
        ]
    )


def _too_long(most: int) -> Length:
    return Length(max=most, message=_l("Keep it under %(most)s characters.", most=most))


class UnshareForm(LongLivedTokenForm):
    """Take one shared entry back: the server deletes it."""

    client_id = _key_field()
    idempotency_key = _key_field()
    filled_at = HiddenField(validators=[Optional()])

    def validate_filled_at(self, field: HiddenField) -> None:
        if field.data and believable_time(field.data) is None:
            raise ValidationError(_l("The time the form was filled in is not valid."))


class ShareForm(UnshareForm):
    """One journal entry, as the phone keeps it, sent to the care team."""

    written_at = HiddenField(validators=[InputRequired()])
    mood = SmallIntegerField(
        validators=[
            Optional(),
            NumberRange(
                MOOD_LOWEST,
                MOOD_HIGHEST,
                message=_l(
                    "Choose a mood from %(low)s to %(high)s.", low=MOOD_LOWEST, high=MOOD_HIGHEST
                ),
            ),
        ]
    )
    text = TextAreaField(validators=[Optional(), _too_long(TEXT_MAX_LENGTH)])

    def validate_written_at(self, field: HiddenField) -> None:
        if self.written_time() is None:
            raise ValidationError(_l("The time the entry was written is not valid."))

    def written_time(self) -> datetime | None:
        """When the entry was written, as UTC, if the phone's time is believable."""
        try:
            moment = datetime.fromisoformat(self.written_at.data or "")
        except ValueError:
            return None
        now = datetime.now(UTC)
        if moment.tzinfo is None or not now - OLDEST_ENTRY < moment < now + CLOCK_AHEAD:
            return None
        return moment.astimezone(UTC)

    def answers(self) -> list[dict[str, str]]:
        """The questions answered, in order, each with its answer."""
        pairs = ((self[f"prompt_{n}"].data, self[f"answer_{n}"].data) for n in _numbers())
        return [
            {"prompt": prompt.strip(), "text": answer.strip()}
            for prompt, answer in pairs
            if prompt and answer and answer.strip()
        ]

    def validate(self, extra_validators: dict | None = None) -> bool:  # type: ignore[type-arg]
        valid = super().validate(extra_validators)
        for n in _numbers():
            prompt, answer = self[f"prompt_{n}"], self[f"answer_{n}"]
            if (answer.data or "").strip() and not (prompt.data or "").strip():
                answer.errors = [*answer.errors, _l("An answer needs its question.")]
                valid = False
        if valid and self.mood.data is None and not self.answers() and not self.text_written():
            self.text.errors = [*self.text.errors, _l("Choose a mood or write something first.")]
            valid = False
        return valid

    def text_written(self) -> str:
        return (self.text.data or "").strip()


def _numbers() -> range:
    return range(1, MOST_PROMPTS + 1)


# The questions and answers as prompt_1, answer_1... (one name each, as the outbox sends them).
for _n in _numbers():
    setattr(
        ShareForm,
        f"prompt_{_n}",
        StringField(validators=[Optional(), _too_long(PROMPT_MAX_LENGTH)]),
    )
    setattr(
        ShareForm,
        f"answer_{_n}",
        TextAreaField(validators=[Optional(), _too_long(ANSWER_MAX_LENGTH)]),
    )
