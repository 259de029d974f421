"""Reads of sender systems, including authentication by API token."""

from __future__ import annotations

from digitalpost.systems.models import SenderSystem
from digitalpost.systems.services import hash_token


def get_sender_system_by_token(token: str) -> SenderSystem | None:
    """The active system the token was issued to, with its authority loaded; None for any other token."""
    if not token or len(token) > 200:
        return None
    return (
        SenderSystem.objects.select_related("authority")
        .filter(token_sha256=hash_token(token), is_active=True)
        .first()
    )
