"""Writes to sender systems: creation and API token issue. A token is shown once and stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from digitalpost.authorities.models import Authority
from digitalpost.systems.models import SenderSystem


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "dp_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class IssuedSystem:
    system: SenderSystem
    token: str  # shown to the caller once; only its hash is kept


@transaction.atomic(durable=True)
def create_sender_system(
    *, authority: Authority, name: str, is_standard: bool = False, token: str | None = None
) -> IssuedSystem:
    """Create a sender system and issue its first API token (`token` only for deterministic demos)."""
    token = token or new_token()
    system = SenderSystem.objects.create(
        authority=authority,
        name=name,
        is_standard=is_standard,
        token_sha256=hash_token(token),
        token_issued_at=timezone.now(),
    )
    return IssuedSystem(system=system, token=token)


@transaction.atomic(durable=True)
def acknowledge_receipts(*, system: SenderSystem, up_to: int) -> None:
    """The system has processed every receipt up to `up_to`; it will not be shown them again."""
    SenderSystem.objects.filter(pk=system.pk, receipt_cursor__lt=up_to).update(receipt_cursor=up_to)
