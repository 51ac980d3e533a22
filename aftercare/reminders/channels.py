"""The ways a reminder reaches a patient (Web Push, email; one day text messages), as one sender.

A pass (reminders/sender.py) claims reminders, plans them with the sending rules, and hands
every outgoing message, on whatever channel, to `Channels`; it gets back one `Outcome` per
message, in order, and records each as a Delivery row naming its channel.

Push is the first channel: every subscribed phone gets every reminder. The others are
*reach* channels (`ReachChannel`): the patient's chosen address gets a reminder when they
asked for every reminder there, or when push cannot reach them. Adding one (an SMS provider)
means writing one class with this shape and listing it in `reach_channels`; the pass, the
claims, leases, retries, quiet hours and the delivery log stay as they are. The README says
what an SMS adapter would need.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Row

from .states import PushOutcome

# How often a wait for room looks again at the channels' unfinished messages: a channel
# signals the batches it finishes, not each message.
ROOM_POLL_S = 0.05


class Outcome(Protocol):
    """What sending one message on a channel came to (webpush.PushResult, smtp.EmailResult)."""

    @property
    def status(self) -> int | None: ...
    @property
    def error(self) -> str: ...
    @property
    def duration_ms(self) -> int: ...
    @property
    def retry_after(self) -> float | None: ...
    @property
    def refused(self) -> bool: ...
    @property
    def outcome(self) -> PushOutcome: ...


class Channel(Protocol):
    """A transport: sends its own kind of message in the background, with bounded waits."""

    concurrency: int

    @property
    def unfinished(self) -> int: ...

    def submit(self, messages: Sequence[Any]) -> Future[list[Any]]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Recipient:
    """Where a reach channel can reach one patient."""

    patient_id: int
    address: str  # never logged
    language: str
    # Every reminder goes here too, not only those push cannot deliver.
    always: bool
    token: str  # a signed token for the patient's unsubscribe link, if the channel has one


class ReachChannel(Channel, Protocol):
    """A channel to a patient's own address (email; one day SMS), used beside push."""

    name: str

    def recipients(self, patient_ids: Collection[int]) -> dict[int, Recipient]:
        """The patients it can reach now (verified, not unsubscribed), by patient."""
        ...

    def compose(
        self, carried: Sequence[Row], recipient: Recipient, words: Mapping[str, str]
    ) -> Any:
        """The message carrying these reminders (one, or several counted with `words`)."""
        ...

    def switch_off(self, patient_ids: Collection[int], status: int | None, now: datetime) -> int:
        """Stop using these patients' addresses, refused for good (`status`, e.g. an SMTP 5xx);
        how many were switched off. The clinic sees it; saving the address again undoes it."""
        ...


@dataclass(frozen=True)
class Outgoing:
    """One message to send on one channel."""

    channel: str
    message: Any


@dataclass(frozen=True)
class Failed:
    """The outcome of a message whose channel failed as a whole: tried again later."""

    error: str
    status: int | None = None
    duration_ms: int = 0
    retry_after: float | None = None
    refused: bool = False

    @property
    def outcome(self) -> PushOutcome:
        return PushOutcome.RETRY


class Unfinished(Exception):
    """A channel was closed before it had sent every message of a batch: the outcome of each
    message it sent, and None for each it never began (so certainly not sent)."""

    def __init__(self, answers: Sequence[Outcome | None]) -> None:
        super().__init__(f"{sum(a is None for a in answers)} of {len(answers)} messages not sent")
        self.answers = list(answers)


class Sending(Future[list[Outcome]]):
    """A batch out on the channels. Its result is every message's outcome, in order; if a
    channel was closed mid-batch, it is cancelled, and `answered` and `not_sent` still say
    what is known of each message."""

    def __init__(self, size: int) -> None:
        super().__init__()
        # Each message's outcome once its channel answered; None while unknown.
        self.answered: list[Outcome | None] = [None] * size
        # Messages a closed channel never began. A push cut off mid-send is neither: it may
        # have reached the push service.
        self.not_sent: set[int] = set()


class Channels:
    """Several channels behind the interface of one: submit a batch of `Outgoing` messages,
    wait for batches, close them all."""

    def __init__(self, channels: Mapping[str, Channel]) -> None:
        self.channels = dict(channels)
        self._changed = threading.Condition()

    @property
    def concurrency(self) -> int:
        return sum(channel.concurrency for channel in self.channels.values())

    @property
    def unfinished(self) -> int:
        return sum(channel.unfinished for channel in self.channels.values())

    def submit(self, outgoing: Sequence[Outgoing]) -> Sending:
        """Start sending each message on its channel; the batch's result is every message's
        outcome, in order."""
        combined = Sending(len(outgoing))
        by_channel: dict[str, list[int]] = {}
        for index, item in enumerate(outgoing):
            by_channel.setdefault(item.channel, []).append(index)
        if not by_channel:
            combined.set_result([])
            return combined
        parts = {
            name: self.channels[name].submit([outgoing[i].message for i in indexes])
            for name, indexes in by_channel.items()
        }
        lock = threading.Lock()
        left = [len(parts)]

        def one_done(name: str, part: Future[list[Any]]) -> None:
            indexes = by_channel[name]
            # What is known of this channel's messages, as soon as it is known: a batch cut
            # off by close() still tells which messages its other channels sent.
            if part.cancelled():
                answers: list[Outcome | None] = [None] * len(indexes)
            elif isinstance(error := part.exception(), Unfinished):
                answers = error.answers
            elif error is not None:
                answers = [Failed(f"{name} sender failed: {type(error).__name__}")] * len(indexes)
            else:
                answers = part.result()
            with lock:
                for index, answer in zip(indexes, answers, strict=True):
                    combined.answered[index] = answer
                    if answer is None and not part.cancelled():
                        combined.not_sent.add(index)
                left[0] -= 1
                if left[0]:
                    return
            if None in combined.answered:
                # A channel closed mid-send: the batch's reminders are the pass's to sort out.
                combined.cancel()
            else:
                combined.set_result(list(combined.answered))  # type: ignore[arg-type]
            with self._changed:
                self._changed.notify_all()

        for name, part in parts.items():
            part.add_done_callback(lambda part, name=name: one_done(name, part))
        return combined

    def wait(
        self, batches: Iterable[Future[list[Outcome]]], room: int = 0, timeout: float | None = None
    ) -> set[Future[list[Outcome]]]:
        """Wait until one of the batches is done, fewer than `room` messages are unfinished,
        or `timeout` seconds passed; the batches that are done."""
        batches = list(batches)
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while True:
                done = {batch for batch in batches if batch.done()}
                if done or (room and self.unfinished < room) or not batches:
                    return done
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return done
                self._changed.wait(ROOM_POLL_S if room else left)

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()


def fallback_due(
    reminder: Row, now: datetime, *, has_push: bool, push_finished: bool, grace: Any
) -> bool:
    """Whether a reminder that push has not delivered goes by a reach channel now: the
    patient has no phone to push to, every phone's push failed for good, or push has had
    `grace` (a timedelta, at most half the time to its expiry) and not got through."""
    if not has_push or push_finished:
        return True
    return now >= reminder.due_at + min(grace, (reminder.expires_at - reminder.due_at) / 2)
