"""Reads of sender systems, receiver systems, secure addresses and certificates.

Authentication by API token (with a short per-process cache), the IP allow-list match, and the lookups the
portal's systems pages use. Every lookup of one object takes the organisation and filters by it, so an id of
another organisation's object answers OBJECT_NOT_FOUND, the same as an id that does not exist. Not for: writes
(services.py).
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.hub.group_commit import batch_reads
from digitalpost.hub.queries import Param, PreparedSelect
from digitalpost.systems.models import Certificate, ReceiverSystem, SecureAddress, SenderPushEndpoint, SenderSystem


def hash_token(token: str) -> str:
    """SHA-256 of an API token: tokens are long random strings, so a fast hash suffices and lookup is exact."""
    return hashlib.sha256(token.encode()).hexdigest()


# Every API call authenticates; a few seconds of memory saves a query per request. The cache is per process:
# a service that rotates a token or deactivates a system clears that system's entries in its own process at
# once, while every other process (other web workers, other machines) may keep accepting the old token for at
# most TOKEN_CACHE_SECONDS. Entries are never refreshed on a hit, so that bound holds: after it the lookup goes
# to the database, which no longer knows the old token's hash. The same bound applies to a changed IP
# allow-list, which travels with the cached system.
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


def forget_cached_system(system_id: uuid.UUID) -> None:
    """Drop this process's cached entries for one system (after its token, state or allow-list changed)."""
    for digest, (_, system) in list(_token_cache.items()):
        if system is not None and system.pk == system_id:
            _token_cache.pop(digest, None)


def address_allowed(allowlist: Sequence[str], address: str | None) -> bool:
    """Whether a client address is in a sender system's IP allow-list; an empty list allows any address."""
    if not allowlist:
        return True
    try:
        client = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    if isinstance(client, ipaddress.IPv6Address) and client.ipv4_mapped is not None:
        client = client.ipv4_mapped  # "::ffff:192.0.2.10" from a dual-stack socket is 192.0.2.10
    for entry in allowlist:
        try:
            if client in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:  # stored lists are validated; an odd entry never allows anything
            continue
    return False


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


# --- the organisation's systems, for the portal and the admin API ---------------------------------------------


def _not_found(kind: str, object_id: object) -> DigitalPostError:
    return DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, f"{kind} {object_id}")


def list_receiver_systems(authority: Authority) -> QuerySet[ReceiverSystem]:
    """An organisation's receiver systems (for mailbox forms and lists), secure address and mailboxes loaded."""
    return (ReceiverSystem.objects.filter(authority=authority).select_related("secure_address")
            .prefetch_related(Prefetch("mailboxes", queryset=AuthorityMailbox.objects.order_by("name")))
            .order_by("name"))


def get_receiver_system(authority: Authority, receiver_id: uuid.UUID | str) -> ReceiverSystem:
    found = list_receiver_systems(authority).filter(pk=receiver_id).first()
    if found is None:
        raise _not_found("receiver system", receiver_id)
    return found


def list_sender_systems(authority: Authority) -> QuerySet[SenderSystem]:
    return SenderSystem.objects.filter(authority=authority).select_related("certificate").order_by("name")


def get_sender_system(authority: Authority, system_id: uuid.UUID | str) -> SenderSystem:
    found = list_sender_systems(authority).filter(pk=system_id).first()
    if found is None:
        raise _not_found("sender system", system_id)
    return found


def list_push_endpoints(system: SenderSystem) -> QuerySet[SenderPushEndpoint]:
    """A sender system's receipt-push endpoints, oldest first."""
    return SenderPushEndpoint.objects.filter(sender_system=system).select_related("sender_system__authority")


def get_push_endpoint(system: SenderSystem, endpoint_id: uuid.UUID | str) -> SenderPushEndpoint:
    """One of `system`'s endpoints; another system's (or none) is not found, alike."""
    found = list_push_endpoints(system).filter(pk=endpoint_id).first()
    if found is None:
        raise _not_found("push endpoint", endpoint_id)
    return found


def list_secure_addresses(authority: Authority) -> QuerySet[SecureAddress]:
    return (SecureAddress.objects.filter(authority=authority).select_related("certificate")
            .prefetch_related("receiver_systems__mailboxes").order_by("email"))


def get_secure_address(authority: Authority, address_id: uuid.UUID | str) -> SecureAddress:
    found = list_secure_addresses(authority).filter(pk=address_id).first()
    if found is None:
        raise _not_found("secure address", address_id)
    return found


def list_mailboxes_using_address(address: SecureAddress) -> list[AuthorityMailbox]:
    """The mailboxes whose inquiries are delivered to this secure address (through its receiver systems)."""
    return list(AuthorityMailbox.objects.filter(receiver_system__secure_address=address).order_by("name"))


def list_mailboxes_using_receiver(receiver: ReceiverSystem) -> list[AuthorityMailbox]:
    return list(AuthorityMailbox.objects.filter(receiver_system=receiver).order_by("name"))


def names(mailboxes: Iterable[AuthorityMailbox]) -> str:
    """Mailbox names for a refusal's detail: 'Borgerservice, Byggesager'."""
    return ", ".join(mailbox.name for mailbox in mailboxes)


# --- certificates and their expiry ------------------------------------------------------------------------------

CRITICAL_DAYS = 14  # expired or at most this many days left: replies or deliveries are about to fail
WARNING_DAYS = 60  # the doctor starts warning here too


def expiry_status(days_left: int) -> str:
    """'critical' (expired or ≤14 days), 'warning' (≤60 days) or 'ok': the portal's colour for a date."""
    if days_left <= CRITICAL_DAYS:
        return "critical"
    if days_left <= WARNING_DAYS:
        return "warning"
    return "ok"


def days_left(not_after: datetime, at: datetime) -> int:
    """Whole days from `at` until `not_after`; negative once it has passed."""
    return (not_after - at).days


@dataclass(frozen=True)
class CertificateUse:
    certificate: Certificate
    used_by: tuple[tuple[str, str], ...]  # ("secure_address", "x@y"), ("sender_system", "Nordby sikker post")
    days_left: int
    status: str  # ok / warning / critical

    @property
    def is_expired(self) -> bool:
        return self.days_left < 0


def list_certificates(authority: Authority, *, at: datetime) -> list[CertificateUse]:
    """Every certificate of the organisation with what uses it, soonest expiry first; unused ones too."""
    rows = (Certificate.objects.filter(authority=authority)
            .prefetch_related("secure_addresses", "sender_systems").order_by("not_after", "subject"))
    found = []
    for cert in rows:
        used_by = [("secure_address", a.email) for a in cert.secure_addresses.all()]
        used_by += [("sender_system", s.name) for s in cert.sender_systems.all()]
        left = days_left(cert.not_after, at)
        found.append(CertificateUse(certificate=cert, used_by=tuple(used_by), days_left=left,
                                    status=expiry_status(left)))
    return found


@dataclass(frozen=True)
class SenderSetupProblems:
    """What is wrong with an organisation's sender systems as a whole (flagged above the list)."""

    no_standard: bool
    standard_cannot_sign: bool  # the standard system has no valid secure-mail certificate: replies unsigned


def check_sender_setup(authority: Authority, *, at: datetime) -> SenderSetupProblems:
    standard = (SenderSystem.objects.filter(authority=authority, is_standard=True)
                .select_related("certificate").first())
    if standard is None:
        return SenderSetupProblems(no_standard=True, standard_cannot_sign=False)
    cert = standard.certificate
    can_sign = (standard.channel == SenderSystem.Channel.SECURE_MAIL and standard.is_active and cert is not None
                and cert.not_before <= at <= cert.not_after)
    return SenderSetupProblems(no_standard=False, standard_cannot_sign=not can_sign)


@dataclass(frozen=True)
class PushTarget:
    """What queueing an event needs of a receipt-push endpoint (messages.services.pushes)."""

    id: uuid.UUID
    event_types: tuple[str, ...]
    is_active: bool


def push_targets(sender_system_id: uuid.UUID) -> list[PushTarget]:
    """The push endpoints of the sender system, in a stable order.

    Read once per group-commit batch (hub.group_commit.batch_reads: many acceptances, each appending events, in
    one transaction, which changes no endpoint); everywhere else read every time. Batches of deliveries read
    their systems' endpoints in one query of their own (messages.services.pushes.queue_pushes_of_events).
    """
    shared = batch_reads()
    if shared is None:
        return _read_push_targets(sender_system_id)
    key = ("push_targets", sender_system_id)
    found = shared.get(key)
    if found is None:
        found = shared[key] = _read_push_targets(sender_system_id)
    return found


# Compiled once (hub.queries): read for every event a sender system's message gets outside a batch (a reply).
_PUSH_TARGETS = PreparedSelect(
    SenderPushEndpoint.objects.filter(sender_system_id=Param("system", SenderSystem._meta.pk))
    .order_by("created_at", "id").values_list("id", "event_types", "is_active"))


def _read_push_targets(sender_system_id: uuid.UUID) -> list[PushTarget]:
    rows = _PUSH_TARGETS.rows(system=sender_system_id)
    return [PushTarget(id=pk, event_types=tuple(types or ()), is_active=active) for pk, types, active in rows]
