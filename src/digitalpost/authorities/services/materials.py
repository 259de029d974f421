"""Writes to materials (kinds of letters and where their replies go) and the subscription groups citizens
subscribe to. Every change is audit-logged in the same transaction; nothing still used is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from digitalpost.audit.services import record_change, snapshot
from digitalpost.authorities.models import (
    Authority,
    AuthorityMailbox,
    Material,
    SubscriptionGroup,
)
from digitalpost.authorities.services.fields import checked_text
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import SYSTEM_ACTOR, Actor


def _material_picture(material: Material) -> dict[str, Any]:
    return snapshot(material, ["name", "description", "reply_rule", "reply_mailbox_id", "is_mandatory"])


def _check_material(
    *, authority: Authority, material: Material | None, name: str, reply_rule: str,
    reply_mailbox: AuthorityMailbox | None, is_mandatory: bool,
) -> tuple[str, AuthorityMailbox | None]:
    name = checked_text(name, "material name", max_length=200)
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
    name = checked_text(name, "subscription group name", max_length=200)
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
