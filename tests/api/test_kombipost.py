"""KombiPost: each message goes digital or on paper by the recipient's status and the sender's choice."""

from __future__ import annotations

import pytest
from django.utils import timezone
from reportlab.lib.pagesizes import LETTER

from digitalpost.messages.models import Event, Message
from digitalpost.outbox.models import Job
from digitalpost.registry.models import Contact
from digitalpost.registry.services import grant_exemption, register_contact
from helpers.kombipost import a4_pdf, send


def _stored(response) -> tuple[str, list[str], dict]:
    message = Message.objects.get(pk=response.json()["messageId"])
    jobs = sorted(Job.objects.filter(payload__message=str(message.pk)).values_list("kind", flat=True))
    received = Event.objects.get(message=message, kind="MESSAGE_RECEIVED")
    return message.channel, jobs, received.data


@pytest.mark.parametrize(("who", "kombi", "channel"), [
    ("anna", None, "DIGITAL"), ("anna", "automatic", "DIGITAL"), ("anna", "digital", "DIGITAL"),
    ("anna", "print", "PRINT"), ("bent", None, "PRINT"), ("bent", "automatic", "PRINT"), ("bent", "print", "PRINT"),
    ("dorte", "automatic", "DIGITAL"),
])
def test_the_channel_follows_status_and_kombi_and_is_in_receipt_event_and_job(cast, who, kombi, channel):
    response = send(cast, getattr(cast, who), kombi=kombi)
    assert response.status_code == 201, response.json()
    assert response.json()["channel"] == channel
    stored_channel, jobs, event = _stored(response)
    assert stored_channel == channel
    assert jobs == (["PRINT"] if channel == "PRINT" else ["DELIVER"])
    assert event["channel"] == channel


@pytest.mark.parametrize(("who", "kombi", "status", "code"), [
    ("bent", "digital", 403, "recipient.is.exempt"),
    ("carl", "print", 403, "recipient.is.closed"),
    ("carl", "automatic", 403, "recipient.is.closed"),
])
def test_recipients_the_chosen_channel_cannot_reach_are_refused(cast, who, kombi, status, code):
    response = send(cast, getattr(cast, who), kombi=kombi)
    assert (response.status_code, response.json()["errorCode"]) == (status, code)
    assert not Message.objects.exists()


def test_a_citizen_exempted_by_the_citizen_service_gets_paper_from_today(cast):
    assert send(cast, cast.anna).json()["channel"] == "DIGITAL"
    grant_exemption(contact=cast.anna, reason="NO_ACCESS", starts_on=timezone.localdate(), ends_on=None,
                    organisation=cast.nordby.authority.cvr)
    assert send(cast, cast.anna).json()["channel"] == "PRINT"


def test_a_letter_needs_a_postal_address(cast):
    nomad = register_contact(kind=Contact.Kind.CITIZEN, number="0707701234", name="Uden Adresse",
                             status=Contact.Status.EXEMPT)
    response = send(cast, nomad)
    assert (response.status_code, response.json()["errorCode"]) == (403, "recipient.address.missing")


@pytest.mark.parametrize("files", [
    [("brev.pdf", "application/pdf", a4_pdf(pagesize=LETTER))],
    [("brev.pdf", "application/pdf", a4_pdf()), ("foto.png", "image/png", b"\x89PNG\r\n\x1a\nxx")],
])
def test_documents_that_cannot_be_printed_are_refused_at_submit_for_letters_only(cast, files):
    response = send(cast, cast.bent, files=files)
    assert (response.status_code, response.json()["errorCode"]) == (400, "document.not.printable")
    assert response.json()["receiptStatus"] == "INVALID"
    assert not Message.objects.exists()
    assert send(cast, cast.anna, files=files).status_code == 201  # digital mail need not be printable


def test_the_sender_systems_default_applies_when_the_call_does_not_say(cast):
    cast.nordby.system.default_kombi = "digital"
    cast.nordby.system.save(update_fields=["default_kombi"])
    from digitalpost.systems.selectors import forget_cached_tokens

    forget_cached_tokens()
    assert send(cast, cast.bent).json()["errorCode"] == "recipient.is.exempt"
    assert send(cast, cast.bent, kombi="automatic").json()["channel"] == "PRINT"


def test_an_unknown_kombi_value_is_a_clear_400(cast):
    response = send(cast, cast.anna, kombi="pigeon")
    assert response.status_code in (400, 422)
    assert not Message.objects.exists()
