"""The integration journal: the questions it offers and the mood scale. Entries stay on the
patient's phone (static/js/journal.js); nothing here is sent to or kept by the server."""

from __future__ import annotations

from .translation import N_

MOOD_LOWEST, MOOD_HIGHEST = 0, 10

# Optional questions an entry offers, from the integration work that follows a session.
DEFAULT_PROMPTS: tuple[str, ...] = (
    N_("What stood out during the session?"),
    N_("What would you like to bring to therapy?"),
)
