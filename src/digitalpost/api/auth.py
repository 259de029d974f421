"""API authentication: the sender system's token, as a Bearer token or as the password of HTTP Basic."""

from __future__ import annotations

import base64
import binascii

from django.http import HttpRequest
from ninja.security import APIKeyHeader

from digitalpost.systems.models import SenderSystem
from digitalpost.systems.selectors import get_sender_system_by_token


def token_from_header(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


class SystemRequest(HttpRequest):
    """An API request after authentication: `auth` is the calling sender system."""

    auth: SenderSystem


class SenderSystemAuth(APIKeyHeader):
    """`Authorization: Bearer <token>` or `Authorization: Basic base64(<anything>:<token>)`."""

    param_name = "Authorization"
    openapi_scheme = "bearer"  # shown in the OpenAPI document; Basic is accepted too

    def authenticate(self, request: HttpRequest, key: str | None) -> SenderSystem | None:
        token = token_from_header(key or "")
        return get_sender_system_by_token(token) if token else None
