"""Reads of authorities and their set-up: the guarded look-ups pages use, and the set-up problems they flag.

Object look-ups inside an organisation always go through `access_*` here, filtered by the organisation, so
another organisation's id answers exactly like a missing one. Not for writes (services.py).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet

from digitalpost.authorities.models import Authority, AuthorityMailbox, Material, SubscriptionGroup
from digitalpost.core.errors import DigitalPostError, ErrorCode


def get_authority_by_cvr(cvr: str) -> Authority | None:
    return Authority.objects.filter(cvr=cvr).first()


def list_authorities_by_cvr(cvrs: list[str]) -> list[Authority]:
    return list(Authority.objects.filter(cvr__in=cvrs).order_by("name"))


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


# --- set-up of one organisation (portal and admin API) -------------------------------------------------


class SetupProblem(StrEnum):
    """A wrong set-up the pages flag at once (the doctor reports the same and more)."""

    NO_RECEIVER_SYSTEM = "mailbox.no.receiver"  # open for inquiries, but they go nowhere
    RECEIVER_SYSTEM_DEACTIVATED = "mailbox.receiver.deactivated"
    REPLY_MAILBOX_CLOSED = "material.reply.mailbox.closed"  # citizens cannot reply to the material
    NO_STANDARD_MAILBOX = "material.no.standard.mailbox"
    MANDATORY_NOT_PERMITTED = "material.mandatory.not.permitted"


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def list_mailboxes(authority: Authority) -> QuerySet[AuthorityMailbox]:
    return authority.mailboxes.select_related("receiver_system", "parent").order_by("name")


def get_standard_mailbox(authority: Authority) -> AuthorityMailbox | None:
    return authority.mailboxes.filter(is_standard=True).first()


def access_mailbox(authority: Authority, mailbox_id: object) -> AuthorityMailbox:
    """One mailbox of the organisation; OBJECT_NOT_FOUND for absent and for another organisation's."""
    pk = _uuid_or_none(mailbox_id)
    found = (
        list_mailboxes(authority).prefetch_related("topics", "metadata_fields").filter(pk=pk).first()
        if pk is not None else None
    )
    if found is None:
        raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "mailbox")
    return found


def mailbox_problems(mailbox: AuthorityMailbox) -> list[SetupProblem]:
    receiver = mailbox.receiver_system
    if receiver is None:
        return [SetupProblem.NO_RECEIVER_SYSTEM] if mailbox.is_open else []
    if receiver.deactivated_at is not None:
        return [SetupProblem.RECEIVER_SYSTEM_DEACTIVATED]
    return []


@dataclass(frozen=True)
class MailboxRow:
    mailbox: AuthorityMailbox
    depth: int  # 0 for a top-level mailbox
    problems: list[SetupProblem] = field(default_factory=list)
    caseworkers: int = 0


def list_mailbox_tree(authority: Authority) -> list[MailboxRow]:
    """Every mailbox of the organisation, each followed by its sub-mailboxes (depth first, by name)."""
    mailboxes = list(
        list_mailboxes(authority).prefetch_related("topics", "metadata_fields")
        .annotate(n_caseworkers=Count("caseworkers", distinct=True))
    )
    children: dict[uuid.UUID | None, list[AuthorityMailbox]] = defaultdict(list)
    known = {mb.pk for mb in mailboxes}
    for mb in mailboxes:
        children[mb.parent_id if mb.parent_id in known else None].append(mb)
    rows: list[MailboxRow] = []

    def visit(parent: uuid.UUID | None, depth: int) -> None:
        for mb in children.get(parent, []):
            rows.append(MailboxRow(mailbox=mb, depth=depth, problems=mailbox_problems(mb),
                                   caseworkers=getattr(mb, "n_caseworkers", 0)))
            visit(mb.pk, depth + 1)

    visit(None, 0)
    return rows


def list_materials(authority: Authority) -> QuerySet[Material]:
    return authority.materials.select_related("reply_mailbox").prefetch_related("subscription_groups").order_by(
        "name"
    )


def access_material(authority: Authority, material_id: object) -> Material:
    pk = _uuid_or_none(material_id)
    found = list_materials(authority).filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "material")
    return found


def material_problems(
    material: Material, *, authority: Authority, standard: AuthorityMailbox | None
) -> list[SetupProblem]:
    problems = []
    if material.reply_rule == Material.ReplyRule.STANDARD:
        if standard is None:
            problems.append(SetupProblem.NO_STANDARD_MAILBOX)
        elif not standard.is_open:
            problems.append(SetupProblem.REPLY_MAILBOX_CLOSED)
    elif (material.reply_rule == Material.ReplyRule.MAILBOX and material.reply_mailbox is not None
          and not material.reply_mailbox.is_open):
        problems.append(SetupProblem.REPLY_MAILBOX_CLOSED)
    if material.is_mandatory and not authority.may_send_mandatory:
        problems.append(SetupProblem.MANDATORY_NOT_PERMITTED)
    return problems


@dataclass(frozen=True)
class MaterialRow:
    material: Material
    reply_to: AuthorityMailbox | None  # where replies go under its rule, if anywhere
    problems: list[SetupProblem]


def list_material_rows(authority: Authority) -> list[MaterialRow]:
    standard = get_standard_mailbox(authority)
    rows = []
    for material in list_materials(authority):
        reply_to = {
            Material.ReplyRule.STANDARD: standard, Material.ReplyRule.MAILBOX: material.reply_mailbox,
        }.get(Material.ReplyRule(material.reply_rule))
        rows.append(MaterialRow(material=material, reply_to=reply_to,
                                problems=material_problems(material, authority=authority, standard=standard)))
    return rows


def list_subscription_groups(authority: Authority) -> QuerySet[SubscriptionGroup]:
    return authority.subscription_groups.prefetch_related("materials").order_by("name")


def access_subscription_group(authority: Authority, group_id: object) -> SubscriptionGroup:
    pk = _uuid_or_none(group_id)
    found = list_subscription_groups(authority).filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "subscription group")
    return found
