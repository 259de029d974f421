"""Mailboxes: the tree without cycles, one standard mailbox moved atomically, nothing deleted that is in use."""

from __future__ import annotations

import pytest
from django.utils import timezone

from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.models import AuthorityMailbox, Material
from digitalpost.authorities.selectors import SetupProblem, list_mailbox_tree, mailbox_problems
from digitalpost.authorities.services.mailboxes import create_mailbox, delete_mailbox, update_mailbox
from digitalpost.authorities.services.materials import create_material
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Actor
from digitalpost.systems.models import ReceiverSystem
from digitalpost.systems.services.receivers import create_pull_receiver

NORA = Actor("nora", 1)


def settings_of(mailbox: AuthorityMailbox, **changes):
    """Every editable part of the mailbox as it is, with `changes` applied: the update_mailbox arguments."""
    values = {
        "name": mailbox.name, "description": mailbox.description, "parent": mailbox.parent,
        "topics": [t.name for t in mailbox.topics.all()],
        "metadata_fields": [(f.label, f.is_required) for f in mailbox.metadata_fields.all()],
        "receiver_system": mailbox.receiver_system, "is_open": mailbox.is_open, "is_visible": mailbox.is_visible,
        "is_standard": mailbox.is_standard, "max_message_bytes": mailbox.max_message_bytes,
    }
    return values | changes


@pytest.fixture
def nordby(cast):
    return cast.nordby.authority


def test_a_new_mailbox_is_logged_with_its_topics_and_fields(nordby):
    mailbox = create_mailbox(authority=nordby, name="Skole", topics=["Indskrivning"],
                             metadata_fields=[("Barnets navn", True)], actor=NORA)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.object_id, entry.actor_label) == ("mailbox.created", str(mailbox.pk), "nora")
    assert entry.after["topics"] == ["Indskrivning"]
    assert entry.after["metadata_fields"] == ["Barnets navn*"]


def test_a_change_is_logged_with_before_and_after(nordby):
    mailbox = create_mailbox(authority=nordby, name="Skole", topics=["Indskrivning"])
    update_mailbox(mailbox=mailbox, actor=NORA, **settings_of(mailbox, topics=["Indskrivning", "SFO"],
                                                              is_open=False))
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "mailbox.changed"
    assert (entry.before["topics"], entry.after["topics"]) == (["Indskrivning"], ["Indskrivning", "SFO"])
    assert (entry.before["is_open"], entry.after["is_open"]) == (True, False)


def test_a_mailbox_cannot_be_placed_under_its_own_sub_mailbox(nordby):
    top = create_mailbox(authority=nordby, name="Skole")
    middle = create_mailbox(authority=nordby, name="Indskrivning", parent=top)
    bottom = create_mailbox(authority=nordby, name="Børnehaveklasse", parent=middle)
    for below in (top, bottom):
        with pytest.raises(DigitalPostError) as refused:
            update_mailbox(mailbox=top, **settings_of(top, parent=below))
        assert refused.value.code == ErrorCode.REQUEST_INVALID
    top.refresh_from_db()
    assert top.parent is None


def test_another_organisations_parent_or_receiver_is_refused_as_not_found(cast, nordby):
    sydby_box = create_mailbox(authority=cast.sydby.authority, name="Sydby")
    sydby_receiver, _ = create_pull_receiver(authority=cast.sydby.authority, name="Sydby ESDH")
    for wrong in ({"parent": sydby_box}, {"receiver_system": sydby_receiver}):
        with pytest.raises(DigitalPostError) as refused:
            create_mailbox(authority=nordby, name="Ny", **wrong)
        assert refused.value.code == ErrorCode.OBJECT_NOT_FOUND
    assert not nordby.mailboxes.filter(name="Ny").exists()


def test_a_sibling_with_the_same_name_is_refused(nordby):
    create_mailbox(authority=nordby, name="Skole")
    with pytest.raises(DigitalPostError) as refused:
        create_mailbox(authority=nordby, name="skole ")
    assert refused.value.code == ErrorCode.NAME_TAKEN


def test_a_topic_listed_twice_is_refused(nordby):
    with pytest.raises(DigitalPostError) as refused:
        create_mailbox(authority=nordby, name="Skole", topics=["SFO", "sfo"])
    assert refused.value.code == ErrorCode.REQUEST_INVALID


def test_making_a_mailbox_standard_moves_the_flag_from_the_old_one(nordby):
    old = create_mailbox(authority=nordby, name="Borgerservice", is_standard=True)
    new = create_mailbox(authority=nordby, name="Skole")
    update_mailbox(mailbox=new, actor=NORA, **settings_of(new, is_standard=True))
    assert list(nordby.mailboxes.filter(is_standard=True)) == [new]
    old_entry = AuditEntry.objects.filter(object_id=str(old.pk), action="mailbox.changed").get()
    assert (old_entry.before["is_standard"], old_entry.after["is_standard"]) == (True, False)
    third = create_mailbox(authority=nordby, name="Teknik", is_standard=True)
    assert list(nordby.mailboxes.filter(is_standard=True)) == [third]


def test_the_standard_mailbox_cannot_be_unset_while_materials_reply_to_it(nordby):
    standard = create_mailbox(authority=nordby, name="Borgerservice", is_standard=True)
    create_material(authority=nordby, name="Boligstøtte", reply_rule=Material.ReplyRule.STANDARD)
    with pytest.raises(DigitalPostError) as refused:
        update_mailbox(mailbox=standard, **settings_of(standard, is_standard=False))
    assert refused.value.code == ErrorCode.STANDARD_MAILBOX_REQUIRED
    assert "Boligstøtte" in refused.value.detail
    with pytest.raises(DigitalPostError) as refused:
        delete_mailbox(mailbox=standard)
    assert refused.value.code == ErrorCode.STANDARD_MAILBOX_REQUIRED
    standard.refresh_from_db()
    assert standard.is_standard


def test_deleting_a_mailbox_in_use_is_refused_naming_what_uses_it(cast, nordby):
    top = create_mailbox(authority=nordby, name="Skole")
    create_mailbox(authority=nordby, name="SFO", parent=top)
    create_material(authority=nordby, name="Skoleplads", reply_rule=Material.ReplyRule.MAILBOX, reply_mailbox=top)
    send_inquiry(party=cast.anna, mailbox=top, inquiry=Inquiry(subject="Plads", text="Hej"))
    with pytest.raises(DigitalPostError) as refused:
        delete_mailbox(mailbox=top)
    assert refused.value.code == ErrorCode.MAILBOX_IN_USE
    assert "SFO" in refused.value.detail
    assert "Skoleplads" in refused.value.detail
    assert "1 conversation" in refused.value.detail
    assert nordby.mailboxes.filter(pk=top.pk).exists()


def test_an_unused_mailbox_is_deleted_and_logged(nordby):
    mailbox = create_mailbox(authority=nordby, name="Midlertidig", topics=["Test"])
    delete_mailbox(mailbox=mailbox, actor=NORA)
    assert not AuthorityMailbox.objects.filter(pk=mailbox.pk).exists()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.after, entry.before["topics"]) == ("mailbox.deleted", None, ["Test"])


def test_an_open_mailbox_without_a_working_receiver_is_flagged(nordby):
    receiver, _ = create_pull_receiver(authority=nordby, name="ESDH")
    working = create_mailbox(authority=nordby, name="Virker", receiver_system=receiver)
    nowhere = create_mailbox(authority=nordby, name="Ingen modtager")
    closed = create_mailbox(authority=nordby, name="Lukket", is_open=False)
    assert mailbox_problems(working) == []
    assert mailbox_problems(nowhere) == [SetupProblem.NO_RECEIVER_SYSTEM]
    assert mailbox_problems(closed) == []
    ReceiverSystem.objects.filter(pk=receiver.pk).update(deactivated_at=timezone.now())  # the worker's doing
    working.refresh_from_db()
    assert mailbox_problems(working) == [SetupProblem.RECEIVER_SYSTEM_DEACTIVATED]


def test_the_tree_lists_sub_mailboxes_under_their_parent(nordby):
    skole = create_mailbox(authority=nordby, name="Skole")
    create_mailbox(authority=nordby, name="Affald")
    create_mailbox(authority=nordby, name="SFO", parent=skole)
    rows = [(row.mailbox.name, row.depth) for row in list_mailbox_tree(nordby)]
    assert rows == [("Affald", 0), ("Skole", 0), ("SFO", 1)]
