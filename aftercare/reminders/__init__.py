"""Reminders: planned as rows, claimed and sent by the scheduler over Web Push."""
