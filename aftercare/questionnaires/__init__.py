"""Questionnaires across the infusion course: answering, scoring, storing, showing."""
