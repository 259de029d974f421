"""What every admin API operation shares: the hub's trust anchors for certificate uploads and the error
responses it documents. Entering the organisation is `access.py`'s; objects are loaded with the apps' own
guarded selectors."""

from __future__ import annotations

from digitalpost.api.schemas import ProblemOut
from digitalpost.core.errors import DigitalPostError
from digitalpost.hub.keys import trust_anchors
from digitalpost.protocols import smime

# Documented on every operation: a malformed request, token problems, role too low, not a member (or no such
# object); writes add conflicts with the set-up (in use, last superadministrator, …).
ERRORS: dict[int, type[ProblemOut]] = {400: ProblemOut, 401: ProblemOut, 403: ProblemOut, 404: ProblemOut}
WRITE_ERRORS: dict[int, type[ProblemOut]] = {**ERRORS, 409: ProblemOut}


def anchors() -> tuple[smime.Certificate, ...]:
    """The hub's trust anchors for uploads; none readable means every upload is refused as untrusted."""
    try:
        return trust_anchors()
    except (OSError, DigitalPostError):
        return ()
