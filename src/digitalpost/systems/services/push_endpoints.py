"""Writes to a sender system's push endpoints: registering one (HMAC secret shown once), deleting it, and its
health — failing since when, its back-off, deactivation after the configured days, recovery. Set-up changes land
in the audit log in the same transaction. Not for: what is pushed or resuming after reactivation and replays
(messages.services.pushes), or sending (delivery.channels.sender_push).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from digitalpost.audit.services import record_change, snapshot
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.receipt_push import parse_types
from digitalpost.core.roles import SYSTEM_ACTOR, Actor
from digitalpost.hub.keys import hub_identity
from digitalpost.systems.models import SenderPushEndpoint, SenderSystem

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(hours=1)
MAX_ENDPOINTS_PER_SYSTEM = 5


@dataclass(frozen=True)
class RegisteredEndpoint:
    endpoint: SenderPushEndpoint
    secret: str | None  # the HMAC secret, shown to the caller once (None for RSA)


def endpoint_picture(endpoint: SenderPushEndpoint) -> dict[str, Any]:
    # Never the secret: the audit log says only that there is one.
    return snapshot(endpoint, ["url", "signing", "event_types", "is_active", "failing_since", "deactivated_at"],
                    sender_system=endpoint.sender_system.name)


def _record(actor: Actor, action: str, endpoint: SenderPushEndpoint, before: dict[str, Any] | None,
            *, gone: bool = False) -> None:
    record_change(actor=actor, organisation=endpoint.sender_system.authority.cvr, action=action, target=endpoint,
                  object_label=f"{endpoint.sender_system.name}: {endpoint.url}", before=before,
                  after=None if gone else endpoint_picture(endpoint))


def _checked_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or len(url) > 500:
        raise DigitalPostError(ErrorCode.PUSH_ENDPOINT_URL_INVALID, url[:200])
    return url


def _checked_signing(signing: str) -> str:
    signing = signing.strip().upper()
    if signing not in SenderPushEndpoint.Signing.values:
        raise DigitalPostError(ErrorCode.PUSH_SIGNING_INVALID, f"signing {signing!r}: choose RSA or HMAC")
    if signing == SenderPushEndpoint.Signing.RSA and not isinstance(hub_identity().key, rsa.RSAPrivateKey):
        raise DigitalPostError(ErrorCode.PUSH_SIGNING_INVALID, "the hub's key is not an RSA key: choose HMAC")
    return signing


def _checked_types(event_types: list[str]) -> list[str]:
    try:
        return [str(t) for t in parse_types(event_types)]
    except ValueError as exc:
        raise DigitalPostError(ErrorCode.PUSH_EVENT_TYPE_UNKNOWN, str(exc)) from None


def register_push_endpoint(
    *, system: SenderSystem, url: str, signing: str = "HMAC", event_types: list[str] | None = None,
    actor: Actor = SYSTEM_ACTOR,
) -> RegisteredEndpoint:
    """A new endpoint for `system`'s receipts and events; events appended from now on are pushed to it."""
    url, signing, types = _checked_url(url), _checked_signing(signing), _checked_types(event_types or [])
    secret = secrets.token_urlsafe(32) if signing == SenderPushEndpoint.Signing.HMAC else None
    with transaction.atomic(durable=True):
        locked = SenderSystem.objects.select_for_update().select_related("authority").get(pk=system.pk)
        if SenderPushEndpoint.objects.filter(sender_system=locked).count() >= MAX_ENDPOINTS_PER_SYSTEM:
            raise DigitalPostError(ErrorCode.REQUEST_INVALID,
                                   f"a sender system has at most {MAX_ENDPOINTS_PER_SYSTEM} push endpoints")
        endpoint = SenderPushEndpoint.objects.create(sender_system=locked, url=url, signing=signing,
                                                     hmac_secret=secret or "", event_types=types)
        _record(actor, "push_endpoint.created", endpoint, None)
    return RegisteredEndpoint(endpoint=endpoint, secret=secret)


def _locked(endpoint: SenderPushEndpoint) -> SenderPushEndpoint:
    return (SenderPushEndpoint.objects.select_for_update(of=("self",))
            .select_related("sender_system__authority").get(pk=endpoint.pk))


@transaction.atomic(durable=True)
def delete_push_endpoint(*, endpoint: SenderPushEndpoint, actor: Actor = SYSTEM_ACTOR) -> None:
    """Stop pushing to it; what was still waiting for it is dropped (the receipts stay pullable)."""
    locked = _locked(endpoint)
    _record(actor, "push_endpoint.deleted", locked, endpoint_picture(locked), gone=True)
    locked.delete()


def set_push_endpoint_active(endpoint: SenderPushEndpoint, *, is_active: bool, actor: Actor) -> SenderPushEndpoint:
    """Switch it on (health forgotten: pushing starts again at once) or off, inside the caller's transaction."""
    locked = _locked(endpoint)
    before = endpoint_picture(locked)
    locked.is_active = is_active
    if is_active:
        locked.failing_since = locked.deactivated_at = locked.retry_after = None
        locked.consecutive_failures = 0
    else:
        locked.deactivated_at = timezone.now()
    locked.save(update_fields=["is_active", "failing_since", "deactivated_at", "retry_after",
                               "consecutive_failures"])
    _record(actor, "push_endpoint.reactivated" if is_active else "push_endpoint.deactivated", locked, before)
    return locked


# Health, written by the pushing channel: not set-up changes, so not audited (the doctor reports them).

def take_sending_turn(endpoint: SenderPushEndpoint, *, lease: timedelta) -> bool:
    """Claim the right to push for this endpoint until `lease` ends; False while another worker has it."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        free = (SenderPushEndpoint.objects.filter(pk=endpoint.pk, is_active=True)
                .exclude(sending_until__gt=now))
        return free.update(sending_until=now + lease) == 1


def end_sending_turn(endpoint: SenderPushEndpoint) -> None:
    SenderPushEndpoint.objects.filter(pk=endpoint.pk).update(sending_until=None)


def backoff(failures: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at an hour: the endpoint's own pace of attempts while it fails."""
    delay: timedelta = BACKOFF_BASE * (2 ** max(failures - 1, 0))
    return min(delay, BACKOFF_CAP)


@dataclass(frozen=True)
class PushDeactivation:
    endpoint: SenderPushEndpoint
    failing_since: datetime


@transaction.atomic(durable=True)
def note_push_failure(endpoint: SenderPushEndpoint, *, reason: str) -> PushDeactivation | None:
    """Remember the failure and the next moment worth trying; the deactivation when it has failed long enough."""
    now = timezone.now()
    locked = SenderPushEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    locked.failing_since = locked.failing_since or now
    locked.consecutive_failures += 1
    locked.retry_after = now + backoff(locked.consecutive_failures)
    locked.last_error, locked.last_error_at = reason[:500], now
    fields = ["failing_since", "consecutive_failures", "retry_after", "last_error", "last_error_at"]
    limit = timedelta(days=settings.DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS)
    deactivated = locked.is_active and now - locked.failing_since >= limit
    if deactivated:
        locked.is_active, locked.deactivated_at = False, now
        fields += ["is_active", "deactivated_at"]
        log.warning("push endpoint %s of sender system %s deactivated after failing since %s: %s", locked.pk,
                    locked.sender_system_id, locked.failing_since.isoformat(), reason)
    locked.save(update_fields=fields)
    return PushDeactivation(endpoint=locked, failing_since=locked.failing_since) if deactivated else None


def note_push_success(endpoint: SenderPushEndpoint, *, lease: timedelta) -> None:
    """The endpoint took a push: it no longer counts as failing, and the sender keeps its turn for another
    `lease` (a long queue outlasts one lease; inside the caller's transaction)."""
    now = timezone.now()
    SenderPushEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=None, retry_after=None, consecutive_failures=0, last_success_at=now, sending_until=now + lease)
