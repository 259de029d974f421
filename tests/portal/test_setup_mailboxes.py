"""The mailbox pages: the tree, wrong set-up flagged at once, the standard mailbox switch, refused deletions."""

from __future__ import annotations

from django.utils import timezone

from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.models import AuthorityMailbox, Material
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.authorities.services.materials import create_material
from digitalpost.systems.models import ReceiverSystem
from digitalpost.systems.services.receivers import create_pull_receiver


def url(cast, rest: str = "") -> str:
    return f"/portal/{cast.nordby.authority.cvr}/mailboxes/{rest}"


def form(**changes) -> dict[str, object]:
    values = {"name": "Skole", "description": "Skoler og SFO", "parent": "", "topics": "Indskrivning\nSFO\n",
              "metadata_fields": "Barnets navn*\nSkole", "max_message_mb": "20", "is_open": "on",
              "is_visible": "on", "receiver_system": ""}
    return {k: v for k, v in (values | changes).items() if v is not None}


def test_a_mailbox_is_created_through_the_form(staff, cast):
    receiver, _ = create_pull_receiver(authority=cast.nordby.authority, name="ESDH")
    client = staff.client(staff.nora)
    response = client.post(url(cast, "new/"), form(receiver_system=str(receiver.pk),
                                                   parent=str(staff.nordby_borgerservice.pk)))
    assert response.status_code == 302
    mailbox = AuthorityMailbox.objects.get(name="Skole")
    assert (mailbox.parent, mailbox.receiver_system, mailbox.max_message_bytes) == (
        staff.nordby_borgerservice, receiver, 20 * 1024 * 1024)
    assert [t.name for t in mailbox.topics.all()] == ["Indskrivning", "SFO"]
    assert [(f.label, f.is_required) for f in mailbox.metadata_fields.all()] == [("Barnets navn", True),
                                                                               ("Skole", False)]
    assert AuditEntry.objects.order_by("-seq").first().actor_label == "nora"


def test_the_list_and_edit_page_flag_a_mailbox_that_delivers_nowhere(staff, cast):
    client = staff.client(staff.nora)
    listing = client.get(url(cast)).content.decode()
    assert "mailbox.no.receiver" in listing  # the cast's Borgerservice is open with no receiver system
    assert "choose a receiver system" in listing.lower()
    edit = client.get(url(cast, f"{staff.nordby_borgerservice.pk}/")).content.decode()
    assert "mailbox.no.receiver" in edit


def test_a_deactivated_receiver_system_is_flagged(staff, cast):
    receiver, _ = create_pull_receiver(authority=cast.nordby.authority, name="ESDH")
    create_mailbox(authority=cast.nordby.authority, name="Skole", receiver_system=receiver)
    client = staff.client(staff.nora)
    assert "mailbox.receiver.deactivated" not in client.get(url(cast)).content.decode()
    ReceiverSystem.objects.filter(pk=receiver.pk).update(deactivated_at=timezone.now())
    assert "mailbox.receiver.deactivated" in client.get(url(cast)).content.decode()


def test_the_standard_flag_moves_to_the_mailbox_marked_standard(staff, cast):
    old = create_mailbox(authority=cast.nordby.authority, name="Skole", is_standard=True)
    new = staff.nordby_borgerservice
    client = staff.client(staff.nora)
    response = client.post(url(cast, f"{new.pk}/"), form(name="Borgerservice", is_standard="on", topics="Pas"))
    assert response.status_code == 302
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.is_standard, new.is_standard) == (False, True)


def test_unsetting_the_standard_mailbox_used_by_materials_is_refused_on_the_form(staff, cast):
    standard = create_mailbox(authority=cast.nordby.authority, name="Skole", is_standard=True)
    create_material(authority=cast.nordby.authority, name="Boligstøtte", reply_rule=Material.ReplyRule.STANDARD)
    response = staff.client(staff.nora).post(url(cast, f"{standard.pk}/"), form())
    assert response.status_code == 400
    body = response.content.decode()
    assert "standard.mailbox.required" in body
    assert "Boligstøtte" in body
    standard.refresh_from_db()
    assert standard.is_standard


def test_a_cycle_is_refused_on_the_form(staff, cast):
    child = create_mailbox(authority=cast.nordby.authority, name="Pas", parent=staff.nordby_borgerservice)
    response = staff.client(staff.nora).post(url(cast, f"{staff.nordby_borgerservice.pk}/"),
                                             form(name="Borgerservice", parent=str(child.pk)))
    assert response.status_code == 400
    assert "request.invalid" in response.content.decode()


def test_form_errors_are_shown(staff, cast):
    response = staff.client(staff.nora).post(url(cast, "new/"), form(name="", max_message_mb="500"))
    assert response.status_code == 200
    assert response.content.decode().count('class="errorlist') >= 2
    assert not AuthorityMailbox.objects.filter(authority=cast.nordby.authority, name="").exists()


def test_deleting_a_mailbox_with_sub_mailboxes_is_refused_naming_them(staff, cast):
    create_mailbox(authority=cast.nordby.authority, name="Pas", parent=staff.nordby_borgerservice)
    response = staff.client(staff.nora).post(url(cast, f"{staff.nordby_borgerservice.pk}/delete/"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "mailbox.in.use" in body
    assert "Pas" in body
    assert AuthorityMailbox.objects.filter(pk=staff.nordby_borgerservice.pk).exists()


def test_an_unused_mailbox_is_deleted_after_confirmation(staff, cast):
    spare = create_mailbox(authority=cast.nordby.authority, name="Midlertidig")
    client = staff.client(staff.nora)
    assert client.get(url(cast, f"{spare.pk}/delete/")).status_code == 200
    assert client.post(url(cast, f"{spare.pk}/delete/")).status_code == 302
    assert not AuthorityMailbox.objects.filter(pk=spare.pk).exists()


def test_the_operator_sees_the_list_without_edit_links(staff, cast):
    body = staff.client(staff.otto).get(url(cast)).content.decode()
    assert "Borgerservice" in body
    assert url(cast, "new/") not in body
