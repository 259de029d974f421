"""Materials and subscription groups: reply rules that point somewhere, mandatory only when permitted."""

from __future__ import annotations

import pytest

from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.models import Material
from digitalpost.authorities.selectors import SetupProblem, list_material_rows
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.authorities.services.materials import (
    create_material,
    create_subscription_group,
    delete_material,
    update_material,
    update_subscription_group,
)
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Actor

NORA = Actor("nora", 1)
Rule = Material.ReplyRule


@pytest.fixture
def nordby(cast):
    return cast.nordby.authority


def refusal(**arguments) -> ErrorCode:
    with pytest.raises(DigitalPostError) as refused:
        create_material(**arguments)
    return refused.value.code


def test_a_material_is_created_and_logged(nordby):
    box = create_mailbox(authority=nordby, name="Boligstøtte")
    material = create_material(authority=nordby, name="Afgørelse", reply_rule=Rule.MAILBOX, reply_mailbox=box,
                               is_mandatory=True, actor=NORA)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.object_id) == ("material.created", str(material.pk))
    assert entry.after["reply_mailbox"] == str(box.pk)
    assert entry.after["is_mandatory"] is True


def test_the_standard_rule_needs_a_standard_mailbox(nordby):
    assert refusal(authority=nordby, name="Brev", reply_rule=Rule.STANDARD) == ErrorCode.STANDARD_MAILBOX_REQUIRED
    create_mailbox(authority=nordby, name="Borgerservice", is_standard=True)
    assert create_material(authority=nordby, name="Brev", reply_rule=Rule.STANDARD).reply_mailbox is None


def test_a_named_mailbox_of_another_organisation_is_refused_as_not_found(cast, nordby):
    theirs = create_mailbox(authority=cast.sydby.authority, name="Sydby")
    code = refusal(authority=nordby, name="Brev", reply_rule=Rule.MAILBOX, reply_mailbox=theirs)
    assert code == ErrorCode.OBJECT_NOT_FOUND
    assert refusal(authority=nordby, name="Brev", reply_rule=Rule.MAILBOX) == ErrorCode.REQUEST_INVALID


def test_mandatory_needs_the_organisations_permission(cast):
    code = refusal(authority=cast.sydby.authority, name="Brev", reply_rule=Rule.NONE, is_mandatory=True)
    assert code == ErrorCode.MANDATORY_NOT_ALLOWED


def test_a_name_used_twice_is_refused(nordby):
    create_material(authority=nordby, name="Brev", reply_rule=Rule.NONE)
    assert refusal(authority=nordby, name="brev", reply_rule=Rule.NONE) == ErrorCode.NAME_TAKEN


def test_a_closed_reply_mailbox_is_allowed_but_flagged(nordby):
    closed = create_mailbox(authority=nordby, name="Lukket", is_open=False)
    create_material(authority=nordby, name="Brev", reply_rule=Rule.MAILBOX, reply_mailbox=closed)
    [row] = list_material_rows(nordby)
    assert row.reply_to == closed
    assert row.problems == [SetupProblem.REPLY_MAILBOX_CLOSED]


def test_changing_the_rule_away_from_a_named_mailbox_forgets_the_mailbox(nordby):
    box = create_mailbox(authority=nordby, name="Boligstøtte")
    material = create_material(authority=nordby, name="Brev", reply_rule=Rule.MAILBOX, reply_mailbox=box)
    update_material(material=material, name="Brev", reply_rule=Rule.NONE, reply_mailbox=box, actor=NORA)
    material.refresh_from_db()
    assert (material.reply_rule, material.reply_mailbox) == (Rule.NONE, None)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.before["reply_mailbox"], entry.after["reply_mailbox"]) == (str(box.pk), None)


def test_subscription_groups_hold_only_the_organisations_own_materials(cast, nordby):
    ours = create_material(authority=nordby, name="Affald", reply_rule=Rule.NONE)
    theirs = create_material(authority=cast.sydby.authority, name="Affald", reply_rule=Rule.NONE)
    with pytest.raises(DigitalPostError) as refused:
        create_subscription_group(authority=nordby, name="Bolig", materials=[ours, theirs])
    assert refused.value.code == ErrorCode.OBJECT_NOT_FOUND
    group = create_subscription_group(authority=nordby, name="Bolig", materials=[ours], actor=NORA)
    assert AuditEntry.objects.order_by("-seq").first().after["materials"] == ["Affald"]
    update_subscription_group(group=group, name="Bolig og affald", materials=[], actor=NORA)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.before["materials"], entry.after["materials"]) == (["Affald"], [])


def test_deleting_a_material_records_the_groups_it_left(nordby):
    material = create_material(authority=nordby, name="Affald", reply_rule=Rule.NONE)
    create_subscription_group(authority=nordby, name="Bolig", materials=[material])
    delete_material(material=material, actor=NORA)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.before["subscription_groups"]) == ("material.deleted", ["Bolig"])
    assert not nordby.materials.exists()
