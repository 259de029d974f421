"""Admin API authentication: a personal admin token (`dpa_…`, issued in the portal) as a Bearer token.

The token stands for its user; what the user may do is decided per organisation by
accounts.selectors.access_organisation, exactly as in the portal. Kept apart from `SenderSystemAuth`: a
sender system's token never opens the admin API, and an admin token never sends (its hash is in another
table). Not for: sender or receiver systems.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.security import HttpBearer

from digitalpost.accounts.selectors import user_for_admin_token
from digitalpost.api.tokens import token_from_header
from digitalpost.core.errors import DigitalPostError, ErrorCode

ADMIN_TOKEN_PREFIX = "dpa_"  # noqa: S105 (a prefix, not a secret)


class AdminRequest(HttpRequest):
    """An admin API request after authentication: `auth` is the token's user."""

    auth: User


class AdminTokenAuth(HttpBearer):
    """`Authorization: Bearer dpa_…`. Every failure answers 401 `sign.in.required`, which says what to send."""

    openapi_bearerFormat = "dpa_… personal admin token"

    def __call__(self, request: HttpRequest) -> User:
        token = token_from_header(request.headers.get(self.header, "")) or ""
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = user_for_admin_token(token) if token.startswith(ADMIN_TOKEN_PREFIX) and len(token) < 200 else None
        if user is None:
            reason = "no admin token was sent" if not token else "the admin token is unknown or revoked"
            raise DigitalPostError(ErrorCode.SIGN_IN_REQUIRED, reason)
        return user
