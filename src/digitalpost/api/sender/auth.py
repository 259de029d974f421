"""API authentication: the sender system's token, as a Bearer token or as the password of HTTP Basic.

With mutual TLS (docs/deploy.md) a reverse proxy verifies the client certificate and forwards it; the
token then only counts together with the certificate registered for its system. A system with an IP
allow-list is accepted only from an address in it (the proxy's X-Forwarded-For counts only from a trusted
proxy).
"""

from __future__ import annotations

import logging
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyHeader

from digitalpost.api.tokens import token_from_header
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols import smime
from digitalpost.systems.models import SenderSystem
from digitalpost.systems.selectors import (
    address_allowed,
    get_registered_certificate_sha256,
    get_sender_system_by_token,
)

log = logging.getLogger(__name__)

# Set by the proxy (deploy/nginx/digitalpost.conf): the verification result ("SUCCESS", "NONE",
# "FAILED:<reason>") and the verified certificate as URL-escaped PEM.
CLIENT_VERIFY_HEADER = "HTTP_X_SSL_CLIENT_VERIFY"
CLIENT_CERT_HEADER = "HTTP_X_SSL_CLIENT_CERT"


class SystemRequest(HttpRequest):
    """An API request after authentication: `auth` is the calling sender system."""

    auth: SenderSystem


class SenderSystemAuth(APIKeyHeader):
    """`Authorization: Bearer <token>` or `Authorization: Basic base64(<anything>:<token>)`."""

    param_name = "Authorization"
    openapi_scheme = "bearer"  # shown in the OpenAPI document; Basic is accepted too

    def authenticate(self, request: HttpRequest, key: str | None) -> SenderSystem | None:
        token = token_from_header(key or "")
        system = get_sender_system_by_token(token) if token else None
        if system is not None:
            check_client_address(request, system)
            check_client_certificate(request, system)
        return system


def client_address(request: HttpRequest) -> str:
    """The caller's IP address: REMOTE_ADDR, or the last X-Forwarded-For entry when a trusted proxy sent it.

    The last entry is the one the trusted proxy itself appended; earlier ones are whatever the client claimed.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if remote in settings.DIGITALPOST_TRUSTED_PROXIES:
        forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1]
    return remote


def check_client_address(request: HttpRequest, system: SenderSystem) -> None:
    """Refuse a call from outside the system's IP allow-list (an empty list allows any address)."""
    address = client_address(request)
    if not address_allowed(system.ip_allowlist, address):
        raise DigitalPostError(ErrorCode.IP_NOT_ALLOWED, f"{address or 'unknown address'} for {system.name}")


def verified_client_certificate(request: HttpRequest) -> str | None:
    """SHA-256 of the client certificate a trusted proxy verified for this request, else None.

    The headers are believed only from an address in DIGITALPOST_TRUSTED_PROXIES; from anywhere else
    they are ignored, whatever they say.
    """
    if request.META.get("REMOTE_ADDR") not in settings.DIGITALPOST_TRUSTED_PROXIES:
        return None
    if request.META.get(CLIENT_VERIFY_HEADER) != "SUCCESS":
        return None
    escaped = request.META.get(CLIENT_CERT_HEADER, "")
    if not escaped:
        return None
    try:
        return smime.load_certificate(unquote(escaped).encode()).fingerprint
    except DigitalPostError:
        log.warning("the trusted proxy forwarded an unreadable client certificate")
        return None


def check_client_certificate(request: HttpRequest, system: SenderSystem) -> None:
    """Refuse a verified client certificate other than the system's, and its absence when required."""
    presented = verified_client_certificate(request)
    if presented is None:
        if settings.DIGITALPOST_REQUIRE_CLIENT_CERT:
            raise DigitalPostError(ErrorCode.CLIENT_CERTIFICATE_MISSING)
        return
    registered = get_registered_certificate_sha256(system)
    if registered is None:
        raise DigitalPostError(
            ErrorCode.CLIENT_CERTIFICATE_MISMATCH, "no certificate is registered for this sender system"
        )
    if presented != registered:
        raise DigitalPostError(ErrorCode.CLIENT_CERTIFICATE_MISMATCH, f"presented SHA-256 {presented}")
