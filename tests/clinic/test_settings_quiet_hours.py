"""Quiet hours in the clinic's settings: shown, saved, and refused when they make no sense."""

from __future__ import annotations

import pytest

from tests.clinic.test_settings_language import section_url, settings_form


def test_the_default_quiet_hours_are_shown_and_can_be_changed(admin_client, db, clinic):
    page = admin_client.get(section_url("reminders")).text
    assert 'name="quiet_start"' in page and 'name="quiet_end"' in page
    form = settings_form(admin_client, "reminders")
    assert (form["quiet_start"], form["quiet_end"]) == ("21", "8")

    form.update(quiet_start="22", quiet_end="7")
    assert admin_client.post(section_url("reminders"), data=form).status_code == 303

    db.session.refresh(clinic)
    # Only what differs from the defaults is kept.
    assert clinic.content["reminders"] == {"quiet_start": 22, "quiet_end": 7}
    again = settings_form(admin_client, "reminders")
    assert (again["quiet_start"], again["quiet_end"]) == ("22", "7")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"quiet_start": "8", "quiet_end": "8"},
            "Quiet hours must end at another hour than they begin.",
            id="no length",
        ),
        pytest.param({"quiet_start": "24"}, "Enter an hour from 0 to 23.", id="not an hour"),
        pytest.param({"quiet_end": "soon"}, "Not a valid integer value.", id="not a number"),
        pytest.param({"quiet_end": ""}, "This field is required.", id="empty"),
        pytest.param(
            {"morning_hour": "7"},
            "7:00 is inside the quiet hours (21:00 to 08:00), when no reminder is sent.",
            id="the morning check-in inside them",
        ),
        pytest.param(
            {"quiet_start": "18"},
            "19:00 is inside the quiet hours (18:00 to 08:00), when no reminder is sent.",
            id="quiet hours over the evening check-in",
        ),
        pytest.param(
            {"quiet_start": "9", "quiet_end": "11"},
            "10:00 is inside the quiet hours (09:00 to 11:00), when no reminder is sent.",
            id="quiet hours over the questionnaires and the ride-home reminder",
        ),
    ],
)
def test_quiet_hours_that_make_no_sense_are_refused_with_a_reason(
    admin_client, db, clinic, changes, message
):
    form = settings_form(admin_client, "reminders", **changes)
    response = admin_client.post(section_url("reminders"), data=form)

    assert response.status_code == 422
    assert message in response.text
    db.session.refresh(clinic)
    assert "reminders" not in (clinic.content or {})
