"""How the clinician's pages name the app's stored codes: triage levels and reminder states."""

from __future__ import annotations

from ..reminders.states import ReminderState

# A triage level in a sentence ("Check-in: call the clinic"), on the timeline and the charts.
LEVEL_WORDS = {
    "expected": "expected",
    "call_clinic": "call the clinic",
    "crisis": "crisis",
    "emergency": "emergency",
}
# An alert's level at the start of a sentence ("Crisis alert for Ana acknowledged.").
ALERT_WORDS = {
    "call_clinic": "Call-the-clinic",
    "crisis": "Crisis",
    "emergency": "Emergency",
}
# A reminder state, on the timeline and the patient page's reminder table.
REMINDER_WORDS: dict[str, str] = {
    ReminderState.PENDING: "waiting",
    ReminderState.SENDING: "sending",
    ReminderState.DELIVERED: "delivered",
    ReminderState.FAILED: "failed",
    ReminderState.EXPIRED: "expired",
    ReminderState.CANCELLED: "cancelled",
}
