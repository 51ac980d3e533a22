"""The clinician's side: sign-in, dashboard, patients, alerts, appointments, settings, exports."""
