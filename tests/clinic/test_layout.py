"""How the clinic package is put together: one blueprint for the clinician's pages, whatever
module each page lives in, and nothing in a blueprint that acts on the whole app."""

from __future__ import annotations

import re
from pathlib import Path

import aftercare.clinic
from aftercare.clinic.local_time import local_time

CLINIC = Path(aftercare.clinic.__file__).parent
# Blueprint methods that register for every request or template of the app, not the blueprint.
APP_WIDE = re.compile(
    r"\.(app_template_filter|app_template_global|app_template_test|app_context_processor"
    r"|before_app_request|after_app_request|teardown_app_request|app_errorhandler"
    r"|app_url_defaults|app_url_value_preprocessor)\b"
)
PAGES = {
    "clinic.dashboard": "/clinic/",
    "clinic.patient_new": "/clinic/patients/new",
    "clinic.patient_added": "/clinic/patients/<int:patient_id>/added",
    "clinic.patient_detail": "/clinic/patients/<int:patient_id>",
    "clinic.patient_edit": "/clinic/patients/<int:patient_id>/edit",
    "clinic.infusion_create": "/clinic/patients/<int:patient_id>/infusions",
    "clinic.course_plan": "/clinic/patients/<int:patient_id>/course",
    "clinic.booster_review_decide": "/clinic/booster-reviews/<int:review_id>/decision",
    "clinic.outcomes": "/clinic/outcomes",
    "clinic.questionnaires_csv": "/clinic/patients/<int:patient_id>/questionnaires.csv",
    "clinic.questionnaires_fhir": "/clinic/patients/<int:patient_id>/questionnaires.fhir.json",
    "clinic.enrollment_link": "/clinic/patients/<int:patient_id>/enrollment-link",
    "clinic.device_revoke": "/clinic/patients/<int:patient_id>/devices/<int:device_id>/revoke",
    "clinic.patient_email": "/clinic/patients/<int:patient_id>/email",
    "clinic.alert_acknowledge": "/clinic/alerts/<int:alert_id>/acknowledge",
    "clinic.appointment_reply_handled": "/clinic/appointments/<int:appointment_id>/reply-handled",
    "clinic.settings": "/clinic/settings",
    "clinic.settings_section": "/clinic/settings/<slug>",
    "clinic.threshold_settings": "/clinic/settings/thresholds",
    "clinic.learn_articles": "/clinic/learn",
    "clinic.learn_new": "/clinic/learn/new",
    "clinic.learn_article": "/clinic/learn/<slug>",
    "clinic.journal_prompts": "/clinic/journal-prompts",
    "clinic.clinic_journal_csv": "/clinic/export/journal-entries.csv",
    "clinic.patient_journal_csv": "/clinic/patients/<int:patient_id>/journal-entries.csv",
}


def test_no_clinic_module_hides_an_app_wide_hook_in_a_blueprint():
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(CLINIC.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if APP_WIDE.search(line)
    ]
    assert found == []


def test_the_app_factory_registers_the_clinic_time_filter(app):
    assert app.jinja_env.filters["local"] is local_time


def test_the_clinic_pages_keep_their_endpoints_and_addresses(app):
    """Split into modules by what they serve, under the names every url_for already uses."""
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    assert {endpoint: rules.get(endpoint) for endpoint in PAGES} == PAGES
    assert sorted(e for e in rules if e.startswith("clinic.")) == sorted(PAGES)
