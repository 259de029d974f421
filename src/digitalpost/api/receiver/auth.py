"""API authentication for REST pull receiver systems: the receiver's own token as a Bearer token.

Kept apart from `SenderSystemAuth`: a sender token never opens the receiving endpoints and a receiver token
never sends. Not for: sender systems (see `api/sender/auth.py`).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyHeader

from digitalpost.api.tokens import token_from_header
from digitalpost.delivery.channels.rest_pull import get_pull_receiver_by_token
from digitalpost.systems.models import ReceiverSystem


class ReceiverRequest(HttpRequest):
    """A receiving-API request after authentication: `auth` is the calling REST pull receiver system."""

    auth: ReceiverSystem


class ReceiverSystemAuth(APIKeyHeader):
    """`Authorization: Bearer <token>` with the token issued to a REST pull receiver system."""

    param_name = "Authorization"
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, key: str | None) -> ReceiverSystem | None:
        token = token_from_header(key or "")
        return get_pull_receiver_by_token(token) if token else None
