"""Pure care rules: triage, timed instructions, content. Nothing here imports Flask."""
