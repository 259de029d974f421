"""Reads of sender systems, including authentication by API token."""

from __future__ import annotations

import time

from django.db.models import QuerySet

from digitalpost.authorities.models import Authority
from digitalpost.systems.models import Certificate, ReceiverSystem, SenderSystem
from digitalpost.systems.services import hash_token

# Every API call authenticates; a few seconds of memory saves a query per request. A revoked or
# deactivated token therefore stops working within TOKEN_CACHE_SECONDS in every process.
TOKEN_CACHE_SECONDS = 5.0
_token_cache: dict[str, tuple[float, SenderSystem | None]] = {}


def get_sender_system_by_token(token: str) -> SenderSystem | None:
    """The active system the token was issued to, with its authority loaded; None for any other token."""
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    now = time.monotonic()
    cached = _token_cache.get(digest)
    if cached is not None and now - cached[0] < TOKEN_CACHE_SECONDS:
        return cached[1]
    system = SenderSystem.objects.select_related("authority").filter(token_sha256=digest, is_active=True).first()
    if len(_token_cache) > 10_000:
        _token_cache.clear()
    # Unknown tokens are not remembered: a token issued a moment later must work at once.
    if system is not None:
        _token_cache[digest] = (now, system)
    return system


def forget_cached_tokens() -> None:
    _token_cache.clear()


def get_receipt_cursor(system: SenderSystem) -> int:
    """The stored cursor, read fresh: the system object may come from the token cache."""
    return int(SenderSystem.objects.filter(pk=system.pk).values_list("receipt_cursor", flat=True).get())


# A certificate row's fingerprint never changes, so it is remembered by id for as long as the process
# lives; which certificate a system has comes from the (briefly cached) system itself.
_fingerprint_cache: dict[object, str] = {}


def get_registered_certificate_sha256(system: SenderSystem) -> str | None:
    """SHA-256 (lower-case hex) of the certificate registered for the system; None when it has none."""
    certificate_id = system.certificate_id
    if certificate_id is None:
        return None
    found = _fingerprint_cache.get(certificate_id)
    if found is None:
        found = Certificate.objects.filter(pk=certificate_id).values_list("sha256", flat=True).first()
        if found is None:
            return None
        if len(_fingerprint_cache) > 10_000:
            _fingerprint_cache.clear()
        _fingerprint_cache[certificate_id] = found
    return found.lower()


def list_receiver_systems(authority: Authority) -> QuerySet[ReceiverSystem]:
    """An organisation's receiver systems (for mailbox forms and lists), secure address loaded."""
    return ReceiverSystem.objects.filter(authority=authority).select_related("secure_address").order_by("name")
