"""The clinician's side: sign-in, patients, infusions, enrollment, check-ins, settings."""
