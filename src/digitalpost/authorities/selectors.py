"""Reads of authorities."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.core.errors import DigitalPostError, ErrorCode


def get_authority_by_cvr(cvr: str) -> Authority | None:
    return Authority.objects.filter(cvr=cvr).first()


def list_authorities_with_open_mailboxes() -> list[Authority]:
    return list(
        Authority.objects.filter(mailboxes__is_open=True, mailboxes__is_visible=True).distinct().order_by("name")
    )


def list_open_mailboxes(authority: Authority) -> list[AuthorityMailbox]:
    return list(
        authority.mailboxes.filter(is_open=True, is_visible=True)
        .prefetch_related("topics", "metadata_fields")
        .order_by("name")
    )


def access_open_mailbox(mailbox_id: str) -> AuthorityMailbox:
    """A mailbox a citizen or company may write to; the same refusal for absent, hidden or closed-and-hidden."""
    try:
        found = (
            AuthorityMailbox.objects.select_related("authority")
            .prefetch_related("topics", "metadata_fields")
            .filter(pk=mailbox_id, is_visible=True)
            .first()
        )
    except (ValueError, ValidationError):
        found = None
    if found is None:
        raise DigitalPostError(ErrorCode.MAILBOX_NOT_FOUND)
    return found
