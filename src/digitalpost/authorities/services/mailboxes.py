"""Writes to mailboxes (contact points): creating, changing and deleting them, with their topics and metadata
fields. The rules that keep the tree working are checked here, not in forms: no cycles, exactly one
standard mailbox moved atomically, nothing deleted that is still used. Every change is audit-logged in the
same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction

from digitalpost.audit.services import record_change, snapshot
from digitalpost.authorities.models import (
    Authority,
    AuthorityMailbox,
    MailboxTopic,
    Material,
    MetadataField,
)
from digitalpost.authorities.services.fields import checked_text
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import SYSTEM_ACTOR, Actor

if TYPE_CHECKING:  # systems sits above authorities; the mailbox only refers to a receiver by foreign key
    from digitalpost.systems.models import ReceiverSystem

MAX_MESSAGE_BYTES = 100 * 1024 * 1024  # the largest inquiry size a mailbox may allow (MeMo's own limit)


def _mailbox_picture(mailbox: AuthorityMailbox) -> dict[str, Any]:
    return snapshot(
        mailbox,
        ["name", "description", "parent_id", "is_open", "is_visible", "is_standard", "max_message_bytes",
         "receiver_system_id"],
        topics=[t.name for t in mailbox.topics.all()],
        metadata_fields=[f.label + ("*" if f.is_required else "") for f in mailbox.metadata_fields.all()],
    )


def _unique_lines(values: Iterable[str], what: str, *, max_length: int) -> list[str]:
    seen: list[str] = []
    for value in values:
        value = checked_text(value, what, max_length=max_length)
        if value.casefold() in (s.casefold() for s in seen):
            raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"{what} {value!r} is listed twice")
        seen.append(value)
    return seen


def _check_mailbox(
    *, authority: Authority, mailbox: AuthorityMailbox | None, name: str, parent: AuthorityMailbox | None,
    receiver_system: ReceiverSystem | None, max_message_bytes: int,
) -> str:
    name = checked_text(name, "mailbox name", max_length=200)
    if parent is not None and parent.authority_id != authority.pk:
        raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "the parent mailbox belongs to another organisation")
    if receiver_system is not None and receiver_system.authority_id != authority.pk:
        raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "the receiver system belongs to another organisation")
    if not 0 < max_message_bytes <= MAX_MESSAGE_BYTES:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "the size limit must be between 1 byte and 100 MB")
    if mailbox is not None and parent is not None:
        parents = dict(authority.mailboxes.values_list("pk", "parent_id"))
        node: Any = parent.pk
        while node is not None:
            if node == mailbox.pk:
                raise DigitalPostError(ErrorCode.REQUEST_INVALID,
                                       "a mailbox cannot be placed under itself or one of its sub-mailboxes")
            node = parents.get(node)
    siblings = authority.mailboxes.filter(parent=parent, name__iexact=name)
    if mailbox is not None:
        siblings = siblings.exclude(pk=mailbox.pk)
    if siblings.exists():
        raise DigitalPostError(ErrorCode.NAME_TAKEN, f"a mailbox {name!r} already exists at this place")
    return name


def _set_topics_and_fields(
    mailbox: AuthorityMailbox, topics: Sequence[str], metadata_fields: Sequence[tuple[str, bool]]
) -> None:
    topic_names = _unique_lines(topics, "topic", max_length=200)
    labels = _unique_lines([label for label, _ in metadata_fields], "metadata field", max_length=100)
    mailbox.topics.all().delete()
    mailbox.metadata_fields.all().delete()
    MailboxTopic.objects.bulk_create(
        MailboxTopic(mailbox=mailbox, name=topic, position=n) for n, topic in enumerate(topic_names)
    )
    MetadataField.objects.bulk_create(
        MetadataField(mailbox=mailbox, label=label, is_required=required, position=n)
        for n, (label, (_, required)) in enumerate(zip(labels, metadata_fields, strict=True))
    )


def _take_standard_from_others(mailbox: AuthorityMailbox, *, actor: Actor) -> None:
    """Moving the standard mailbox: the old one stops being standard first (one standard per authority)."""
    for old in (AuthorityMailbox.objects.select_for_update()
                .filter(authority_id=mailbox.authority_id, is_standard=True).exclude(pk=mailbox.pk)):
        before = _mailbox_picture(old)
        old.is_standard = False
        old.save(update_fields=["is_standard"])
        record_change(actor=actor, organisation=old.authority.cvr, action="mailbox.changed", target=old,
                      before=before, after=_mailbox_picture(old))


def _refuse_without_standard(authority: Authority, why: str) -> None:
    """Materials whose replies go to 'the standard mailbox' need one."""
    using = list(authority.materials.filter(reply_rule=Material.ReplyRule.STANDARD).values_list("name", flat=True))
    if using:
        raise DigitalPostError(ErrorCode.STANDARD_MAILBOX_REQUIRED, f"{why}; used by materials: {', '.join(using)}")


@transaction.atomic(durable=True)
def create_mailbox(
    *,
    authority: Authority,
    name: str,
    parent: AuthorityMailbox | None = None,
    topics: Sequence[str] = (),
    metadata_fields: Sequence[tuple[str, bool]] = (),
    receiver_system: ReceiverSystem | None = None,
    is_open: bool = True,
    is_visible: bool = True,
    max_message_bytes: int = 10 * 1024 * 1024,
    description: str = "",
    is_standard: bool = False,
    actor: Actor = SYSTEM_ACTOR,
) -> AuthorityMailbox:
    """A contact point citizens can write to, with its topics and (label, required) metadata fields."""
    name = _check_mailbox(authority=authority, mailbox=None, name=name, parent=parent,
                          receiver_system=receiver_system, max_message_bytes=max_message_bytes)
    mailbox = AuthorityMailbox(
        authority=authority, name=name, description=description.strip(), parent=parent,
        receiver_system=receiver_system, is_open=is_open, is_visible=is_visible,
        max_message_bytes=max_message_bytes,
    )
    if is_standard:
        _take_standard_from_others(mailbox, actor=actor)
        mailbox.is_standard = True
    mailbox.save(force_insert=True)
    _set_topics_and_fields(mailbox, topics, metadata_fields)
    record_change(actor=actor, organisation=authority.cvr, action="mailbox.created", target=mailbox,
                  object_label=name, after=_mailbox_picture(mailbox))
    return mailbox


@transaction.atomic(durable=True)
def update_mailbox(
    *, mailbox: AuthorityMailbox, name: str, parent: AuthorityMailbox | None, topics: Sequence[str],
    metadata_fields: Sequence[tuple[str, bool]], receiver_system: ReceiverSystem | None, is_open: bool,
    is_visible: bool, is_standard: bool, max_message_bytes: int, description: str = "",
    actor: Actor = SYSTEM_ACTOR,
) -> AuthorityMailbox:
    """Change every editable part of a mailbox; making it standard moves the flag from the old standard."""
    locked = AuthorityMailbox.objects.select_for_update(of=("self",)).select_related("authority").get(pk=mailbox.pk)
    authority = locked.authority
    name = _check_mailbox(authority=authority, mailbox=locked, name=name, parent=parent,
                          receiver_system=receiver_system, max_message_bytes=max_message_bytes)
    if locked.is_standard and not is_standard:
        _refuse_without_standard(authority, f"{locked.name} is the standard mailbox")
    before = _mailbox_picture(locked)
    if is_standard and not locked.is_standard:
        _take_standard_from_others(locked, actor=actor)
    values = {
        "name": name, "description": description.strip(), "parent": parent, "receiver_system": receiver_system,
        "is_open": is_open, "is_visible": is_visible, "is_standard": is_standard,
        "max_message_bytes": max_message_bytes,
    }
    for field, value in values.items():
        setattr(locked, field, value)
    locked.save(update_fields=list(values))
    _set_topics_and_fields(locked, topics, metadata_fields)
    record_change(actor=actor, organisation=authority.cvr, action="mailbox.changed", target=locked,
                  object_label=name, before=before, after=_mailbox_picture(locked))
    return locked


@transaction.atomic(durable=True)
def delete_mailbox(*, mailbox: AuthorityMailbox, actor: Actor = SYSTEM_ACTOR) -> None:
    """Only an unused mailbox can go; a used one is refused with what uses it (closing it is the alternative)."""
    locked = AuthorityMailbox.objects.select_for_update(of=("self",)).select_related("authority").get(pk=mailbox.pk)
    uses = []
    children = list(locked.children.values_list("name", flat=True))
    if children:
        uses.append(f"sub-mailboxes: {', '.join(children)}")
    materials = list(locked.materials.values_list("name", flat=True))
    if materials:
        uses.append(f"materials: {', '.join(materials)}")
    conversations = locked.threads.count()
    if conversations:
        uses.append(f"{conversations} conversation{'s' if conversations != 1 else ''}")
    if uses:
        raise DigitalPostError(ErrorCode.MAILBOX_IN_USE, f"{locked.name} is used by " + "; ".join(uses))
    if locked.is_standard:
        _refuse_without_standard(locked.authority, f"{locked.name} is the standard mailbox")
    record_change(actor=actor, organisation=locked.authority.cvr, action="mailbox.deleted", target=locked,
                  object_label=locked.name, before=_mailbox_picture(locked))
    locked.delete()
