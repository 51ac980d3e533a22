"""The patient's side: enrollment, the Today page, check-ins."""
