"""What every admin API operation shares: entering the organisation, the hub's trust anchors for certificate
uploads, and the error responses it documents. Objects are loaded with the apps' own guarded selectors."""

from __future__ import annotations

from digitalpost.accounts.selectors import OrgAccess, access_organisation
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.api.schemas import ProblemOut
from digitalpost.core.errors import DigitalPostError
from digitalpost.core.roles import Action
from digitalpost.hub.keys import trust_anchors
from digitalpost.protocols import smime

# Documented on every operation: a malformed request, token problems, role too low, not a member (or no such
# object); writes add conflicts with the set-up (in use, last superadministrator, …).
ERRORS: dict[int, type[ProblemOut]] = {400: ProblemOut, 401: ProblemOut, 403: ProblemOut, 404: ProblemOut}
WRITE_ERRORS: dict[int, type[ProblemOut]] = {**ERRORS, 409: ProblemOut}


def enter(request: AdminRequest, cvr: str, action: Action) -> OrgAccess:
    """The token's user in organisation `cvr`, allowed `action` (404 for non-members, 403 for the role)."""
    return access_organisation(request.auth, cvr, action)


def anchors() -> tuple[smime.Certificate, ...]:
    """The hub's trust anchors for uploads; none readable means every upload is refused as untrusted."""
    try:
        return trust_anchors()
    except (OSError, DigitalPostError):
        return ()
