"""Where clinic/ still finds the enrollment and token helpers; they live in aftercare/ now.

Only clinic/ imports this, until its imports name `aftercare.enrollment` and `aftercare.tokens`
(tests/test_architecture.py lists the imports it still waits for); then this module goes.
"""

from ..enrollment import create_link, linked_devices
from ..tokens import hash_token, new_token

__all__ = ["create_link", "hash_token", "linked_devices", "new_token"]
