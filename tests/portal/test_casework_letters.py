"""A caseworker starts a letter in the portal: the recipient typed into a POSTed form (never a URL), text and/or
documents, material and flags, "may answer"; sent as the organisation's standard sender system through the same
acceptance as a REST MeMo (KombiPost, exemptions, file rules, rights), audited — and every refusal shown with its
catalogue code and its English and Danish text. Only roles that may send reach the page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from digitalpost.accounts.services import create_user, grant_role
from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.services.materials import create_material
from digitalpost.core.errors import DANISH, ErrorCode
from digitalpost.core.lifecycle import EventKind
from digitalpost.core.roles import Role
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Message
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.systems.models import SenderSystem
from helpers.otp import verified_client

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def page(cast) -> str:
    return f"/portal/{cast.nordby.authority.cvr}/letters/new/"


def letters_to(contact) -> list[Message]:
    return list(Message.objects.filter(mailbox=contact.mailbox, direction=Message.Direction.TO_PARTY))


def post(client, cast, **fields):
    data = {"recipient": cast.anna.number, "label": "Afgørelse om beboerlicens",
            "text": "Kære Anna\r\n\r\nDin beboerlicens er godkendt."} | fields
    return client.post(page(cast), data)


def test_caseworker_sends_a_letter_with_text_and_a_document_that_reaches_anna(cast, staff, drain):
    client = staff.client(staff.niels)
    form = client.get(page(cast))
    assert form.status_code == 200
    assert 'name="recipient"' in form.content.decode()

    sent = post(client, cast, documents=[SimpleUploadedFile("afgoerelse.pdf", PDF, content_type="application/pdf")])

    assert sent.status_code == 302
    [letter] = letters_to(cast.anna)
    assert sent["Location"] == f"/portal/{cast.nordby.authority.cvr}/message-log/{letter.pk}/"
    assert cast.anna.number not in sent["Location"]
    assert letter.sender_system == cast.nordby.system  # the standard sender system, as portal replies
    assert letter.label == "Afgørelse om beboerlicens"
    assert letter.thread_id is None
    received = letter.events.get(kind=EventKind.MESSAGE_RECEIVED)
    assert received.data["via"] == "portal"
    assert received.data["by"] == "niels"
    assert drain() == 1
    letter.refresh_from_db()
    assert letter.state == Message.State.DELIVERED
    documents = {d.filename: d for d in letter.documents.all()}
    assert sorted(documents) == ["afgoerelse.pdf", "brev.txt"]
    assert blob_store().read(documents["brev.txt"].blob).decode() == "Kære Anna\n\nDin beboerlicens er godkendt."
    entry = AuditEntry.objects.get(action="letter.sent")
    assert (entry.organisation, entry.actor_label, entry.object_id) == (cast.nordby.authority.cvr, "niels",
                                                                        str(letter.pk))
    assert cast.anna.number not in str(entry.after)
    assert entry.after["recipientType"] == "CPR"


def test_a_company_is_written_to_by_its_cvr_number(cast, staff):
    assert post(staff.client(staff.niels), cast, recipient=cast.dorte.number).status_code == 302
    assert len(letters_to(cast.dorte)) == 1


def test_an_answerable_letter_names_the_answer_mailbox_and_deadline_and_the_flags(cast, staff):
    box = staff.nordby_borgerservice
    sent = post(staff.client(staff.niels), cast, reply="on", reply_by="2099-01-31T12:00",
                answer_mailbox=str(box.pk), mandatory="on", legal_notification="on")
    assert sent.status_code == 302
    [letter] = letters_to(cast.anna)
    assert letter.answer_mailbox == box
    assert letter.answer_by is not None
    assert letter.answer_by.year == 2099
    assert (letter.is_mandatory, letter.is_legal_notification) == (True, True)


def test_a_material_brings_its_mandatory_flag(cast, staff):
    material = create_material(authority=cast.nordby.authority, name="Parkering", reply_rule="NONE",
                               is_mandatory=True)
    assert post(staff.client(staff.niels), cast, material=str(material.pk)).status_code == 302
    assert letters_to(cast.anna)[0].is_mandatory


def test_an_exempt_citizen_gets_the_letter_on_paper(cast, staff):
    sent = post(staff.client(staff.niels), cast, recipient=cast.bent.number, text="Kære Bent")
    assert sent.status_code == 302
    [letter] = letters_to(cast.bent)
    assert letter.channel == "PRINT"
    assert Job.objects.filter(kind=WorkKind.PRINT, key=f"print:{letter.pk}").exists()


REFUSED = {
    "closed-recipient": ({"recipient": "2404603456"}, ErrorCode.RECIPIENT_IS_CLOSED),
    "unknown-recipient": ({"recipient": "0101019999"}, ErrorCode.RECIPIENT_UNKNOWN),
    "file-type": ({"documents": [SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")]},
                  ErrorCode.FILE_EXTENSION_NOT_ALLOWED),
    "empty-file": ({"documents": [SimpleUploadedFile("tom.pdf", b"", content_type="application/pdf")]},
                   ErrorCode.FILE_EMPTY_NOT_ALLOWED),
}


@pytest.mark.parametrize(("fields", "code"), REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_letter_shows_its_code_in_english_and_danish_and_nothing_is_stored(cast, staff, fields, code):
    refused = post(staff.client(staff.niels), cast, **fields)

    assert refused.status_code == 400
    html = refused.content.decode()
    assert f'data-code="{code}"' in html
    assert f"<code>{code}</code>" in html
    assert escape(DANISH[code]) in html
    assert "lang=\"en\"" in html
    assert not Message.objects.filter(direction=Message.Direction.TO_PARTY).exists()
    assert not AuditEntry.objects.filter(action="letter.sent").exists()


def test_rights_the_organisation_lacks_are_not_offered_and_a_forged_flag_sends_nothing_mandatory(cast, staff):
    sydby_worker = create_user(username="sanne", full_name="Sanne", email="sanne@example.org", password="p" * 12)
    grant_role(authority=cast.sydby.authority, user=sydby_worker, role=Role.CASEWORKER)
    client = verified_client(sydby_worker)
    form = client.get(f"/portal/{cast.sydby.authority.cvr}/letters/new/").content.decode()
    assert 'name="mandatory"' not in form
    assert 'name="legal_notification"' not in form
    sent = client.post(f"/portal/{cast.sydby.authority.cvr}/letters/new/",
                       {"recipient": cast.anna.number, "label": "Brev", "text": "Hej", "mandatory": "on"})
    assert sent.status_code == 302
    [letter] = letters_to(cast.anna)
    assert (letter.is_mandatory, letter.sender_system) == (False, cast.sydby.system)


def test_the_form_refuses_what_is_no_number_and_an_empty_letter(cast, staff):
    client = staff.client(staff.niels)
    for not_a_number in ("abc", "050585123", "05058512345"):
        refused = post(client, cast, recipient=not_a_number)
        assert refused.status_code == 400
        assert "Write a CPR number (10 digits) or a CVR number (8 digits)." in refused.content.decode()
    empty = post(client, cast, text="  ")
    assert empty.status_code == 400
    assert "The letter is empty" in empty.content.decode()


def test_without_an_active_standard_sender_system_the_page_says_what_to_set_up(cast, staff):
    SenderSystem.objects.filter(authority=cast.nordby.authority).update(is_standard=False)
    refused = post(staff.client(staff.niels), cast)
    assert refused.status_code == 400
    assert 'data-code="standard.sender.system.required"' in refused.content.decode()


@pytest.mark.parametrize("role", [Role.SUPERADMIN, Role.ADMIN, Role.CITIZEN_SERVICE])
def test_roles_that_may_not_send_letters_are_refused(cast, role):
    user = create_user(username=f"u-{role}", full_name="U", email="u@example.org", password="p" * 12)
    grant_role(authority=cast.nordby.authority, user=user, role=role)
    client = verified_client(user)
    assert client.get(page(cast)).status_code == 403
    assert post(client, cast).status_code == 403
    assert not Message.objects.exists()


def test_another_organisation_cannot_send_as_nordby(cast, staff):
    assert post(staff.client(staff.sofie), cast).status_code == 404
    assert not Message.objects.exists()


def test_a_refused_letter_keeps_the_recipient_in_the_form_not_in_a_url(cast, staff):
    refused = post(staff.client(staff.niels), cast, recipient=cast.carl.number)
    html = refused.content.decode()
    assert refused.status_code == 400
    assert '<form method="post" enctype="multipart/form-data" class="edit" id="letter">' in html  # posts to itself
    assert f'value="{cast.carl.number}"' in html  # kept in the form, to be corrected
    assert not [line for line in html.splitlines() if "href=" in line and cast.carl.number in line]
