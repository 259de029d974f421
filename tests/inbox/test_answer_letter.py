"""Letters the citizen can answer: a REST letter with MeMo `reply` gets an Answer button in the web mailbox.

The letter is sent over the real API with the sender system's token; Anna answers through the real mailbox
pages (Django's test client; the same flow in Chromium is tests/e2e/test_browser_answer_letter.py). The answer
opens a conversation tied to the letter, is forwarded to the mailbox's REST pull receiver with ReplyData naming
the letter and the dialog thread, and the authority answers again over REST with that ReplyData copied.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from cast import PDF
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.messages.models import Message
from digitalpost.outbox.models import WorkKind
from digitalpost.protocols import memo
from digitalpost.systems.services.receivers import create_pull_receiver
from helpers.pages import signed_in

PULL = "/apis/v1/receiving/memos"


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEMO_MODE = True


@pytest.fixture
def boxes(cast):
    """Nordby's standard mailbox and a named one for building cases, both received by a REST pull system."""
    receiver, token = create_pull_receiver(authority=cast.nordby.authority, name="Nordby ESDH")
    standard = create_mailbox(authority=cast.nordby.authority, name="Borgerservice", receiver_system=receiver,
                              is_standard=True)
    building = create_mailbox(authority=cast.nordby.authority, name="Byggesager", receiver_system=receiver)
    return {"standard": standard, "building": building, "pull": Client(HTTP_AUTHORIZATION=f"Bearer {token}")}


def send_letter(cast, drain, *, reply: bool | None = True, by=None, contact_point: str | None = None,
                label: str = "Partshøring") -> Message:
    letter = cast.nordby.memo(cast.anna, label=label, files=[("brev.txt", "text/plain", b"Svar venligst.")])
    header = replace(letter.header, reply=reply, reply_by_date_time=by)
    if contact_point is not None:
        header = replace(header, sender=replace(header.sender, contact_point=memo.ContactPoint(
            contact_point_id=contact_point, label="Byggesager")))
    response = cast.nordby.submit(replace(letter, header=header))
    assert response.status_code == 201, response.content
    drain()
    return Message.objects.get(pk=response.json()["messageId"])


def page_of(client: Client, message: Message) -> str:
    response = client.get(f"/post/{message.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def has_answer_button(html: str) -> bool:
    return 'id="answer-button"' in html


def test_a_letter_asking_for_an_answer_is_answered_in_a_new_conversation_forwarded_to_the_mailbox(
    cast, boxes, drain
):
    letter = send_letter(cast, drain, by=timezone.now() + timedelta(days=14))
    anna = signed_in(cast.anna)
    assert has_answer_button(page_of(anna, letter))

    response = anna.post(f"/post/{letter.pk}/answer/", {"text": "Jeg er enig."})
    assert response.status_code == 302
    letter.refresh_from_db()
    thread = letter.thread
    assert thread is not None
    assert response["Location"] == f"/post/threads/{thread.pk}/?sent=1"
    assert (thread.authority_mailbox, thread.party, thread.subject) == (boxes["standard"], cast.anna,
                                                                        "SV: Partshøring")
    answer = thread.messages.get(direction=Message.Direction.TO_AUTHORITY)
    assert answer.events.get(kind="MESSAGE_RECEIVED").data["answers"] == str(letter.pk)
    # The letter is part of the conversation now: no second Answer button, a link to the conversation instead.
    html = page_of(anna, letter)
    assert not has_answer_button(html)
    assert 'id="thread-link"' in html
    assert "Jeg er enig." in anna.get(f"/post/threads/{thread.pk}/").content.decode()

    # Forwarded to the mailbox's receiver with ReplyData naming the letter and the dialog thread.
    assert drain(WorkKind.FORWARD) == 1
    pulled = memo.parse(boxes["pull"].get(f"{PULL}/{answer.pk}").content, max_bytes=10**7)
    named = [r.message_uuid for r in pulled.header.reply_data]
    assert named == [str(letter.message_uuid), str(answer.message_uuid)]
    assert pulled.header.reply_data[1].additional_reply_data[0].label == "dialogtraad"

    # The authority answers again over REST, copying what it got: filed in the same conversation.
    again = cast.nordby.memo(cast.anna, label="SV: SV: Partshøring")
    again = replace(again, header=replace(again.header, reply_data=pulled.header.reply_data))
    receipt = cast.nordby.submit(again).json()
    assert receipt["threaded"] is True
    assert Message.objects.get(pk=receipt["messageId"]).thread == thread


def test_files_attached_to_an_answer_reach_the_authority(cast, boxes, drain):
    letter = send_letter(cast, drain)
    anna = signed_in(cast.anna)
    upload = SimpleUploadedFile("kvittering.pdf", PDF, content_type="application/pdf")
    response = anna.post(f"/post/{letter.pk}/answer/", {"text": "Kvitteringen er vedlagt.", "attachments": upload})
    assert response.status_code == 302
    letter.refresh_from_db()
    answer = letter.thread.messages.get(direction=Message.Direction.TO_AUTHORITY)
    assert [d.filename for d in answer.documents.order_by("position")] == ["henvendelse.txt", "kvittering.pdf"]
    assert drain(WorkKind.FORWARD) == 1
    pulled = memo.parse(boxes["pull"].get(f"{PULL}/{answer.pk}").content, max_bytes=10**7)
    assert [f.content for _, _, f in memo.iter_files(pulled)][1] == PDF


def test_the_answer_goes_to_the_contact_point_the_letter_named(cast, boxes, drain):
    letter = send_letter(cast, drain, contact_point=str(boxes["building"].pk))
    assert letter.answer_mailbox == boxes["building"]
    signed_in(cast.anna).post(f"/post/{letter.pk}/answer/", {"text": "Tak."})
    letter.refresh_from_db()
    assert letter.thread.authority_mailbox == boxes["building"]


def test_an_unknown_contact_point_falls_back_to_the_standard_mailbox(cast, boxes, drain):
    assert send_letter(cast, drain, contact_point="SAG-77").answer_mailbox == boxes["standard"]


@pytest.mark.parametrize("case", ["no reply", "reply false", "deadline passed"])
def test_a_letter_that_takes_no_answer_has_no_button_and_a_forged_post_is_refused(cast, boxes, drain, case):
    options = {"no reply": {"reply": None}, "reply false": {"reply": False},
               "deadline passed": {"by": timezone.now() + timedelta(seconds=2)}}[case]
    letter = send_letter(cast, drain, **options)
    if case == "deadline passed":
        Message.objects.filter(pk=letter.pk).update(answer_by=timezone.now() - timedelta(minutes=1))
    anna = signed_in(cast.anna)
    assert not has_answer_button(page_of(anna, letter))
    before = Message.objects.count()
    forged = anna.post(f"/post/{letter.pk}/answer/", {"text": "Alligevel."})
    assert forged.status_code == 403
    assert re.search(r"<code>letter\.answer\.not\.allowed</code>", forged.content.decode())
    assert Message.objects.count() == before
    letter.refresh_from_db()
    assert letter.thread is None


def test_a_second_answer_to_the_same_letter_is_refused(cast, boxes, drain):
    letter = send_letter(cast, drain)
    anna = signed_in(cast.anna)
    assert anna.post(f"/post/{letter.pk}/answer/", {"text": "Et."}).status_code == 302
    assert anna.post(f"/post/{letter.pk}/answer/", {"text": "To."}).status_code == 403
    assert Message.objects.filter(direction=Message.Direction.TO_AUTHORITY).count() == 1


def test_another_citizen_cannot_answer_annas_letter(cast, boxes, drain):
    letter = send_letter(cast, drain)
    assert signed_in(cast.bent).post(f"/post/{letter.pk}/answer/", {"text": "Hej"}).status_code == 404
    assert Message.objects.filter(direction=Message.Direction.TO_AUTHORITY).count() == 0


def test_a_caseworker_answers_again_in_the_portal_and_anna_sees_it_in_the_conversation(cast, drain):
    from cast import build_staff

    staff = build_staff(cast)  # niels is caseworker of Nordby's Borgerservice
    letter = send_letter(cast, drain, contact_point=str(staff.nordby_borgerservice.pk))
    anna = signed_in(cast.anna)
    assert anna.post(f"/post/{letter.pk}/answer/", {"text": "Hvornår?"}).status_code == 302
    letter.refresh_from_db()

    portal = staff.client(staff.niels)
    page = portal.get(f"/portal/{cast.nordby.authority.cvr}/inquiries/{letter.thread_id}/")
    assert page.status_code == 200
    assert "Hvornår?" in page.content.decode()
    answered = portal.post(f"/portal/{cast.nordby.authority.cvr}/inquiries/{letter.thread_id}/",
                           {"text": "På mandag."})
    assert answered.status_code == 302
    assert drain() >= 1
    reply = Message.objects.get(thread=letter.thread, direction=Message.Direction.TO_PARTY, sender_system__isnull=False,
                                label__startswith="SV:")
    assert reply.state == Message.State.DELIVERED
    assert f'data-message="{reply.pk}"' in anna.get(f"/post/threads/{letter.thread_id}/").content.decode()
