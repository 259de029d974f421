"""The material and subscription-group checks: replies to every letter must have an open mailbox to go to.

Each fault-injection test starts from the healthy Nordby (whose material "Afgørelse" replies to the standard
mailbox and sits in the group "Byggeri"), breaks one thing through the real services (or, where a service
refuses the faulty state, writes it directly and says why), runs the doctor and expects exactly that finding.
"""

from __future__ import annotations

from datetime import UTC, datetime

from digitalpost.authorities.models import AuthorityMailbox, Material
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.authorities.services.materials import create_material, create_subscription_group
from digitalpost.core.findings import Severity, SubjectKind
from digitalpost.doctor.checks.materials import material_reply_rules, subscription_groups
from digitalpost.doctor.checks.snapshot import MailboxInfo, MaterialInfo, OrgSnapshot, SubscriptionGroupInfo
from helpers.doctor_world import HealthyOrg, close, findings_of, only

CODES = {"material.reply.mailbox.missing", "material.reply.mailbox.closed", "material.no.standard.mailbox",
         "subscription.group.empty", "subscription.group.reply.broken"}


def test_a_healthy_organisation_has_no_material_or_group_finding(healthy: HealthyOrg):
    assert [f.code for f in findings_of(healthy) if f.code in CODES] == []


def test_a_material_replying_to_a_closed_mailbox_is_critical_and_flags_its_group(healthy: HealthyOrg):
    pas = create_mailbox(authority=healthy.authority, name="Pas", receiver_system=healthy.receiver)
    material = create_material(authority=healthy.authority, name="Pasfornyelse",
                               reply_rule=Material.ReplyRule.MAILBOX, reply_mailbox=pas)
    group = create_subscription_group(authority=healthy.authority, name="Pas og kørekort", materials=[material])
    assert [f.code for f in findings_of(healthy) if f.code in CODES] == []
    close(pas)
    found = findings_of(healthy)
    finding = only(found, "material.reply.mailbox.closed")
    assert finding.severity is Severity.CRITICAL
    assert (finding.subject.kind, finding.subject.id) == (SubjectKind.MATERIAL, str(material.pk))
    assert finding.facts == {"replyRule": "MAILBOX", "replyMailboxId": str(pas.pk), "replyMailboxName": "Pas"}
    broken = only(found, "subscription.group.reply.broken")
    assert (broken.severity, broken.subject.kind, broken.subject.id) == (
        Severity.WARNING, SubjectKind.SUBSCRIPTION_GROUP, str(group.pk))
    assert broken.facts == {"materials": "Pasfornyelse", "count": 1}


def test_closing_the_standard_mailbox_breaks_materials_that_reply_to_it(healthy: HealthyOrg):
    close(healthy.mailbox)
    found = findings_of(healthy)
    finding = only(found, "material.reply.mailbox.closed")
    assert finding.subject.id == str(healthy.material.pk)
    assert finding.facts["replyRule"] == "STANDARD"
    assert "the standard mailbox Borgerservice" in finding.why
    assert only(found, "subscription.group.reply.broken").subject.id == str(healthy.group.pk)


def test_a_standard_rule_without_a_standard_mailbox_is_critical(healthy: HealthyOrg):
    # update_mailbox and delete_mailbox refuse to leave STANDARD-rule materials without a standard mailbox;
    # the state still arises from data older than that rule, so it is written directly here.
    AuthorityMailbox.objects.filter(pk=healthy.mailbox.pk).update(is_standard=False)
    found = findings_of(healthy)
    finding = only(found, "material.no.standard.mailbox")
    assert (finding.severity, finding.subject.id) == (Severity.CRITICAL, str(healthy.material.pk))
    assert finding.facts == {"replyRule": "STANDARD"}
    assert "mark an open mailbox as the standard mailbox" in finding.fix
    assert only(found, "subscription.group.reply.broken").facts["materials"] == "Afgørelse"


def test_a_material_replying_to_a_mailbox_outside_the_organisation_is_missing(healthy: HealthyOrg, cast):
    # PROTECT keeps a used mailbox from being deleted and the material service refuses another organisation's
    # mailbox; a direct write of such a pointer is the one way the database holds a reply mailbox that the
    # organisation does not have.
    sydby = create_mailbox(authority=cast.sydby.authority, name="Borgerservice")
    Material.objects.filter(pk=healthy.material.pk).update(reply_rule=Material.ReplyRule.MAILBOX,
                                                           reply_mailbox=sydby)
    finding = only(findings_of(healthy), "material.reply.mailbox.missing")
    assert (finding.severity, finding.subject.id) == (Severity.CRITICAL, str(healthy.material.pk))
    assert finding.facts == {"replyRule": "MAILBOX", "replyMailboxId": str(sydby.pk)}


def test_an_empty_subscription_group_is_a_warning(healthy: HealthyOrg):
    group = create_subscription_group(authority=healthy.authority, name="Tom")
    finding = only(findings_of(healthy), "subscription.group.empty")
    assert (finding.severity, finding.subject.kind, finding.subject.id, finding.subject.name) == (
        Severity.WARNING, SubjectKind.SUBSCRIPTION_GROUP, str(group.pk), "Tom")


def test_materials_that_take_no_reply_need_no_mailbox(healthy: HealthyOrg):
    create_material(authority=healthy.authority, name="Orientering", reply_rule=Material.ReplyRule.NONE)
    assert [f.code for f in findings_of(healthy) if f.code in CODES] == []


# --- pure: hand-built snapshots -----------------------------------------------------------------------------------

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def org(mailboxes=(), materials=(), groups=()) -> OrgSnapshot:
    return OrgSnapshot(cvr="29190003", name="Nordby Kommune", technical_contact_name="", technical_contact_email="",
                       superadministrators=2, reply_deadline_days=10, mailboxes=tuple(mailboxes),
                       materials=tuple(materials), subscription_groups=tuple(groups))


def test_a_deleted_reply_mailbox_is_reported():
    # The database's check constraint and PROTECT keep this from happening today; the check guards it anyway.
    material = MaterialInfo(id="t1", name="Pas", reply_rule="MAILBOX", reply_mailbox_id=None)
    (finding,) = material_reply_rules(org(materials=[material]), NOW)
    assert (finding.code, finding.facts) == ("material.reply.mailbox.missing", {"replyRule": "MAILBOX",
                                                                               "replyMailboxId": ""})


def test_reply_rules_against_mailboxes():
    standard = MailboxInfo(id="m1", name="Borgerservice", is_open=True, is_visible=True, is_standard=True,
                           receiver_system_id="r1")
    closed = MailboxInfo(id="m2", name="Arkiv", is_open=False, is_visible=False, is_standard=False,
                         receiver_system_id=None)
    materials = [MaterialInfo("t1", "A", "STANDARD", None), MaterialInfo("t2", "B", "MAILBOX", "m2"),
                 MaterialInfo("t3", "C", "NONE", None), MaterialInfo("t4", "D", "MAILBOX", "m1")]
    found = list(material_reply_rules(org([standard, closed], materials), NOW))
    assert [(f.code, f.subject.id) for f in found] == [("material.reply.mailbox.closed", "t2")]
    found = list(material_reply_rules(org([closed], materials), NOW))
    assert [(f.code, f.subject.id) for f in found] == [
        ("material.no.standard.mailbox", "t1"), ("material.reply.mailbox.closed", "t2"),
        ("material.reply.mailbox.missing", "t4")]


def test_a_group_of_unknown_materials_counts_as_empty():
    groups = [SubscriptionGroupInfo("g1", "Tom", ()), SubscriptionGroupInfo("g2", "Fremmed", ("x",))]
    assert [(f.code, f.subject.id) for f in subscription_groups(org(groups=groups), NOW)] == [
        ("subscription.group.empty", "g1"), ("subscription.group.empty", "g2")]
