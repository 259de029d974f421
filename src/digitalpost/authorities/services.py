"""Writes to authorities and their set-up: the profile and permissions, mailboxes (contact points), materials
and subscription groups.

Every change lands in the audit log with its before and after, inside the same transaction. The rules that
keep the set-up working are checked here, not in forms: a mailbox tree without cycles, exactly one standard
mailbox moved atomically, nothing deleted that is still used. Users and roles are in `accounts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from digitalpost.audit.services import record_change, snapshot
from digitalpost.authorities.models import (
    Authority,
    AuthorityMailbox,
    MailboxTopic,
    Material,
    MetadataField,
    SubscriptionGroup,
)
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.parties import is_valid_cvr
from digitalpost.core.roles import SYSTEM_ACTOR, Actor

if TYPE_CHECKING:  # systems sits above authorities; the mailbox only refers to a receiver by foreign key
    from digitalpost.systems.models import ReceiverSystem

MAX_MESSAGE_BYTES = 100 * 1024 * 1024  # the largest inquiry size a mailbox may allow (MeMo's own limit)
MAX_REPLY_DEADLINE_DAYS = 60


def _text(value: str, what: str, *, max_length: int, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"{what} is required")
    if len(value) > max_length:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"{what} is longer than {max_length} characters")
    return value


def _email(value: str, what: str) -> str:
    value = value.strip()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"{what} {value!r} is not an e-mail address") from None
    return value


# --- the organisation ------------------------------------------------------------------------------------


def insert_authority(
    *, cvr: str, name: str, kind: str, may_send_mandatory: bool, may_send_legal_notification: bool, actor: Actor,
) -> Authority:
    """The steps of `create_authority`, for a use case that creates an organisation inside its own transaction
    (accounts.services.create_organisation also gives it its first superadministrator)."""
    if not is_valid_cvr(cvr):
        raise DigitalPostError(ErrorCode.CONTACT_ID_INVALID, f"CVR {cvr!r}")
    if kind not in Authority.Kind.values:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"authority type {kind!r}")
    if Authority.objects.filter(cvr=cvr).exists():
        raise DigitalPostError(ErrorCode.NAME_TAKEN, f"CVR {cvr} is already registered")
    authority = Authority.objects.create(
        cvr=cvr, name=_text(name, "name", max_length=200), kind=kind, may_send_mandatory=may_send_mandatory,
        may_send_legal_notification=may_send_legal_notification,
    )
    record_change(actor=actor, organisation=cvr, action="organisation.created", target=authority,
                  after=snapshot(authority))
    return authority


@transaction.atomic(durable=True)
def create_authority(
    *, cvr: str, name: str, kind: str = Authority.Kind.MUNICIPALITY, may_send_mandatory: bool = False,
    may_send_legal_notification: bool = False, actor: Actor = SYSTEM_ACTOR,
) -> Authority:
    return insert_authority(cvr=cvr, name=name, kind=kind, may_send_mandatory=may_send_mandatory,
                            may_send_legal_notification=may_send_legal_notification, actor=actor)


PROFILE_FIELDS = (
    "name", "kind", "technical_contact_name", "technical_contact_email", "technical_contact_phone",
    "business_contact_name", "business_contact_email", "business_contact_phone", "reply_deadline_days",
)


@transaction.atomic(durable=True)
def update_authority_profile(
    *, authority: Authority, name: str, kind: str, technical_contact_name: str = "",
    technical_contact_email: str = "", technical_contact_phone: str = "", business_contact_name: str = "",
    business_contact_email: str = "", business_contact_phone: str = "", reply_deadline_days: int = 10,
    actor: Actor = SYSTEM_ACTOR,
) -> Authority:
    """The organisation's own description: name, type, contacts, reply deadline (not its CVR or permissions)."""
    if kind not in Authority.Kind.values:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"authority type {kind!r}")
    if not 1 <= reply_deadline_days <= MAX_REPLY_DEADLINE_DAYS:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID,
                               f"reply deadline must be 1 to {MAX_REPLY_DEADLINE_DAYS} working days")
    values: dict[str, Any] = {
        "name": _text(name, "name", max_length=200), "kind": kind,
        "technical_contact_name": _text(technical_contact_name, "technical contact", max_length=200, required=False),
        "technical_contact_email": _email(technical_contact_email, "technical contact e-mail"),
        "technical_contact_phone": _text(technical_contact_phone, "technical contact phone", max_length=40,
                                         required=False),
        "business_contact_name": _text(business_contact_name, "business contact", max_length=200, required=False),
        "business_contact_email": _email(business_contact_email, "business contact e-mail"),
        "business_contact_phone": _text(business_contact_phone, "business contact phone", max_length=40,
                                        required=False),
        "reply_deadline_days": reply_deadline_days,
    }
    return _change_authority(authority, values, actor=actor, action="organisation.changed")


@transaction.atomic(durable=True)
def set_authority_permissions(
    *, authority: Authority, may_send_mandatory: bool, may_send_legal_notification: bool,
    actor: Actor = SYSTEM_ACTOR,
) -> Authority:
    """Granted by the platform operator, never chosen by the organisation (the view enforces who calls it)."""
    values = {"may_send_mandatory": may_send_mandatory, "may_send_legal_notification": may_send_legal_notification}
    return _change_authority(authority, values, actor=actor, action="organisation.permissions.changed")


def _change_authority(authority: Authority, values: dict[str, Any], *, actor: Actor, action: str) -> Authority:
    locked = Authority.objects.select_for_update().get(pk=authority.pk)
    before = snapshot(locked, values.keys())
    for name, value in values.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(values))
    record_change(actor=actor, organisation=locked.cvr, action=action, target=locked, before=before,
                  after=snapshot(locked, values.keys()))
    return locked


# --- mailboxes ---------------------------------------------------------------------------------------------


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
        value = _text(value, what, max_length=max_length)
        if value.casefold() in (s.casefold() for s in seen):
            raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"{what} {value!r} is listed twice")
        seen.append(value)
    return seen


def _check_mailbox(
    *, authority: Authority, mailbox: AuthorityMailbox | None, name: str, parent: AuthorityMailbox | None,
    receiver_system: ReceiverSystem | None, max_message_bytes: int,
) -> str:
    name = _text(name, "mailbox name", max_length=200)
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


# --- materials and subscription groups --------------------------------------------------------------------


def _material_picture(material: Material) -> dict[str, Any]:
    return snapshot(material, ["name", "description", "reply_rule", "reply_mailbox_id", "is_mandatory"])


def _check_material(
    *, authority: Authority, material: Material | None, name: str, reply_rule: str,
    reply_mailbox: AuthorityMailbox | None, is_mandatory: bool,
) -> tuple[str, AuthorityMailbox | None]:
    name = _text(name, "material name", max_length=200)
    if reply_rule not in Material.ReplyRule.values:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"reply rule {reply_rule!r}")
    if is_mandatory and not authority.may_send_mandatory:
        raise DigitalPostError(ErrorCode.MANDATORY_NOT_ALLOWED, f"material {name!r}")
    if reply_rule == Material.ReplyRule.MAILBOX:
        if reply_mailbox is None:
            raise DigitalPostError(ErrorCode.REQUEST_INVALID, "choose the mailbox replies go to")
        if reply_mailbox.authority_id != authority.pk:
            raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "the reply mailbox belongs to another organisation")
    else:
        reply_mailbox = None
    if reply_rule == Material.ReplyRule.STANDARD and not authority.mailboxes.filter(is_standard=True).exists():
        raise DigitalPostError(ErrorCode.STANDARD_MAILBOX_REQUIRED, f"material {name!r}")
    taken = authority.materials.filter(name__iexact=name)
    if material is not None:
        taken = taken.exclude(pk=material.pk)
    if taken.exists():
        raise DigitalPostError(ErrorCode.NAME_TAKEN, f"material {name!r}")
    return name, reply_mailbox


@transaction.atomic(durable=True)
def create_material(
    *, authority: Authority, name: str, reply_rule: str, reply_mailbox: AuthorityMailbox | None = None,
    is_mandatory: bool = False, description: str = "", actor: Actor = SYSTEM_ACTOR,
) -> Material:
    """A kind of letter, with where its replies go (no reply, the standard mailbox, a named mailbox)."""
    name, reply_mailbox = _check_material(authority=authority, material=None, name=name, reply_rule=reply_rule,
                                          reply_mailbox=reply_mailbox, is_mandatory=is_mandatory)
    material = Material.objects.create(authority=authority, name=name, description=description.strip(),
                                       reply_rule=reply_rule, reply_mailbox=reply_mailbox, is_mandatory=is_mandatory)
    record_change(actor=actor, organisation=authority.cvr, action="material.created", target=material,
                  after=_material_picture(material))
    return material


@transaction.atomic(durable=True)
def update_material(
    *, material: Material, name: str, reply_rule: str, reply_mailbox: AuthorityMailbox | None = None,
    is_mandatory: bool = False, description: str = "", actor: Actor = SYSTEM_ACTOR,
) -> Material:
    locked = Material.objects.select_for_update(of=("self",)).select_related("authority").get(pk=material.pk)
    name, reply_mailbox = _check_material(authority=locked.authority, material=locked, name=name,
                                          reply_rule=reply_rule, reply_mailbox=reply_mailbox,
                                          is_mandatory=is_mandatory)
    before = _material_picture(locked)
    locked.name, locked.description, locked.reply_rule = name, description.strip(), reply_rule
    locked.reply_mailbox, locked.is_mandatory = reply_mailbox, is_mandatory
    locked.save(update_fields=["name", "description", "reply_rule", "reply_mailbox", "is_mandatory"])
    record_change(actor=actor, organisation=locked.authority.cvr, action="material.changed", target=locked,
                  before=before, after=_material_picture(locked))
    return locked


@transaction.atomic(durable=True)
def delete_material(*, material: Material, actor: Actor = SYSTEM_ACTOR) -> None:
    """Deleting a material also takes it out of its subscription groups (recorded in the entry)."""
    locked = Material.objects.select_for_update(of=("self",)).select_related("authority").get(pk=material.pk)
    before = _material_picture(locked) | {
        "subscription_groups": sorted(locked.subscription_groups.values_list("name", flat=True))
    }
    record_change(actor=actor, organisation=locked.authority.cvr, action="material.deleted", target=locked,
                  before=before)
    locked.delete()


def _group_picture(group: SubscriptionGroup) -> dict[str, Any]:
    return snapshot(group, ["name", "description"], materials=sorted(m.name for m in group.materials.all()))


def _check_group(
    *, authority: Authority, group: SubscriptionGroup | None, name: str, materials: Sequence[Material]
) -> str:
    name = _text(name, "subscription group name", max_length=200)
    if any(m.authority_id != authority.pk for m in materials):
        raise DigitalPostError(ErrorCode.OBJECT_NOT_FOUND, "a material belongs to another organisation")
    taken = authority.subscription_groups.filter(name__iexact=name)
    if group is not None:
        taken = taken.exclude(pk=group.pk)
    if taken.exists():
        raise DigitalPostError(ErrorCode.NAME_TAKEN, f"subscription group {name!r}")
    return name


@transaction.atomic(durable=True)
def create_subscription_group(
    *, authority: Authority, name: str, materials: Sequence[Material] = (), description: str = "",
    actor: Actor = SYSTEM_ACTOR,
) -> SubscriptionGroup:
    name = _check_group(authority=authority, group=None, name=name, materials=materials)
    group = SubscriptionGroup.objects.create(authority=authority, name=name, description=description.strip())
    group.materials.set(materials)
    record_change(actor=actor, organisation=authority.cvr, action="subscription_group.created", target=group,
                  after=_group_picture(group))
    return group


@transaction.atomic(durable=True)
def update_subscription_group(
    *, group: SubscriptionGroup, name: str, materials: Sequence[Material], description: str = "",
    actor: Actor = SYSTEM_ACTOR,
) -> SubscriptionGroup:
    locked = SubscriptionGroup.objects.select_for_update(of=("self",)).select_related("authority").get(pk=group.pk)
    name = _check_group(authority=locked.authority, group=locked, name=name, materials=materials)
    before = _group_picture(locked)
    locked.name, locked.description = name, description.strip()
    locked.save(update_fields=["name", "description"])
    locked.materials.set(materials)
    record_change(actor=actor, organisation=locked.authority.cvr, action="subscription_group.changed",
                  target=locked, before=before, after=_group_picture(locked))
    return locked


@transaction.atomic(durable=True)
def delete_subscription_group(*, group: SubscriptionGroup, actor: Actor = SYSTEM_ACTOR) -> None:
    locked = SubscriptionGroup.objects.select_for_update(of=("self",)).select_related("authority").get(pk=group.pk)
    record_change(actor=actor, organisation=locked.authority.cvr, action="subscription_group.deleted",
                  target=locked, before=_group_picture(locked))
    locked.delete()
