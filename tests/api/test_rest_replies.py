"""REST replies: a case system answers a conversation by posting a MeMo with the inquiry's ReplyData copied.

The round trip of docs/replies.md through the real entry points: the inquiry reaches the authority's REST pull
receiver (GET /apis/v1/receiving/memos/{id}), the case system copies its ReplyData into the answer and posts it
with its sender system's token (POST /apis/v1/memos); the answer is filed in the conversation and delivered to
the citizen there. Then every way a reference can be unknown, another organisation's or refused.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from django.test import Client

from cast import PDF, Sender
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.selectors import list_thread_messages
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.conversations.services.replies import file_reply
from digitalpost.conversations.tokens import REPLY_DATA_LABEL
from digitalpost.messages.models import Document, Event, Message, Receipt, RefusedReply, Thread
from digitalpost.messages.selectors import MailboxViewer
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.protocols import memo
from digitalpost.registry.models import Contact
from digitalpost.systems.models import SenderSystem
from digitalpost.systems.services.receivers import create_pull_receiver
from digitalpost.systems.services.senders import create_sender_system
from helpers.pages import link_action, with_actions

PULL = "/apis/v1/receiving/memos"


@pytest.fixture
def world(cast, drain):
    """Anna has written to Nordby's and to Sydby's Borgerservice; both inquiries wait at the REST pull receivers."""
    nordby_receiver, nordby_token = create_pull_receiver(authority=cast.nordby.authority, name="Nordby ESDH")
    sydby_receiver, sydby_token = create_pull_receiver(authority=cast.sydby.authority, name="Sydby ESDH")
    nordby_box = create_mailbox(authority=cast.nordby.authority, name="Borgerservice", receiver_system=nordby_receiver)
    sydby_box = create_mailbox(authority=cast.sydby.authority, name="Borgerservice", receiver_system=sydby_receiver)
    to_nordby = send_inquiry(party=cast.anna, mailbox=nordby_box, inquiry=Inquiry(subject="Mit pas", text="Hej"))
    to_sydby = send_inquiry(party=cast.anna, mailbox=sydby_box, inquiry=Inquiry(subject="Affald", text="Hej"))
    assert drain(WorkKind.FORWARD) == 2
    return {"nordby_pull": Client(HTTP_AUTHORIZATION=f"Bearer {nordby_token}"),
            "sydby_pull": Client(HTTP_AUTHORIZATION=f"Bearer {sydby_token}"),
            "to_nordby": to_nordby, "to_sydby": to_sydby}


def pulled(client: Client, inquiry: Message) -> memo.Message:
    """The inquiry as the receiver system fetches it: the MeMo with ReplyData naming it."""
    response = client.get(f"{PULL}/{inquiry.pk}")
    assert response.status_code == 200
    return memo.parse(response.content, max_bytes=10**7)


def answer(sender: Sender, inquiry: memo.Message, *, to: Contact | None = None, text: str = "Dit pas er klar.",
           reply_data: tuple[memo.ReplyData, ...] | None = None) -> memo.Message:
    """What a case system writes: a letter to the inquiry's sender with the inquiry's ReplyData copied as it is."""
    header = inquiry.header
    recipient = to.number if to is not None else header.sender.sender_id
    letter = sender.memo(recipient, id_type=None if to is not None else header.sender.id_type,
                         label=f"SV: {header.label}", files=[("svar.txt", "text/plain", text.encode())])
    copied = header.reply_data if reply_data is None else reply_data
    return replace(letter, header=replace(letter.header, reply_data=copied))


def stored() -> tuple[int, ...]:
    return (Message.objects.count(), Document.objects.count(), Event.objects.count(), Receipt.objects.count(),
            Job.objects.count())


def viewer(party: Contact) -> MailboxViewer:
    return MailboxViewer(contact_id=party.pk)


def test_the_case_systems_answer_with_the_copied_reply_data_is_filed_in_annas_conversation(cast, world, drain):
    inquiry = world["to_nordby"]
    reply = answer(cast.nordby, pulled(world["nordby_pull"], inquiry))
    response = cast.nordby.submit(reply)

    assert response.status_code == 201
    receipt = response.json()
    assert (receipt["receiptStatus"], receipt["threaded"], receipt["warningCode"]) == ("RECEIVED", True, None)
    filed = Message.objects.get(pk=receipt["messageId"])
    assert (filed.thread, filed.direction, filed.sender_system) == (
        inquiry.thread, Message.Direction.TO_PARTY, cast.nordby.system)
    assert bytes(filed.pending_memo) == memo.build(reply)  # the MeMo exactly as sent
    received = filed.events.get(kind="MESSAGE_RECEIVED")
    assert received.data["channel"] == "rest"
    assert received.data["transmissionId"] == receipt["transmissionId"]

    assert drain() == 1
    conversation = list(list_thread_messages(viewer(cast.anna), inquiry.thread))
    assert [(m.pk, m.state) for m in conversation] == [
        (inquiry.pk, Message.State.ACCEPTED), (filed.pk, Message.State.DELIVERED)]
    assert RefusedReply.objects.count() == 0


def test_the_inquirys_message_uuid_alone_names_the_conversation(cast, world):
    inquiry = world["to_nordby"]
    bare = (memo.ReplyData(message_uuid=str(inquiry.message_uuid)),)
    response = cast.nordby.submit(answer(cast.nordby, pulled(world["nordby_pull"], inquiry), reply_data=bare))
    assert (response.status_code, response.json()["threaded"]) == (201, True)
    assert Message.objects.get(pk=response.json()["messageId"]).thread == inquiry.thread


def test_the_dialog_thread_alone_names_it_beside_the_case_systems_own_reference(cast, world):
    """As in the official full MeMo example: two ReplyData, one the case system's own, one copied from the hub."""
    inquiry = world["to_nordby"]
    (hubs,) = pulled(world["nordby_pull"], inquiry).header.reply_data
    own = memo.ReplyData(message_uuid=str(uuid.uuid4()), case_id="SAG-2026-0042")
    token_only = replace(hubs, message_uuid=str(uuid.uuid4()))  # the token carries the conversation
    response = cast.nordby.submit(answer(cast.nordby, pulled(world["nordby_pull"], inquiry),
                                         reply_data=(own, token_only)))
    assert (response.status_code, response.json()["threaded"]) == (201, True)


def test_the_answer_over_rest_is_one_reply_among_the_portals_and_the_gateways(cast, world, drain):
    """The same conversation answered in the portal's way and over REST: both replies filed alike."""
    inquiry = world["to_nordby"]
    first = file_reply(thread=inquiry.thread, system=cast.nordby.system, subject="SV: Mit pas", text="Vi ser på det.",
                       channel="portal")
    response = cast.nordby.submit(answer(cast.nordby, pulled(world["nordby_pull"], inquiry)))
    second = Message.objects.get(pk=response.json()["messageId"])
    assert drain() == 2
    assert [m.pk for m in list_thread_messages(viewer(cast.anna), inquiry.thread)] == [inquiry.pk, first.pk, second.pk]
    assert all(m.receipts.filter(status="RECEIVED").exists() for m in (first, second))


def test_a_reference_the_hub_does_not_know_is_a_new_letter_with_a_warning(cast, world):
    letter = answer(cast.nordby, pulled(world["nordby_pull"], world["to_nordby"]),
                    reply_data=(memo.ReplyData(message_uuid=str(uuid.uuid4()), case_id="SAG-1"),))
    response = cast.nordby.submit(letter)
    assert response.status_code == 201
    receipt = response.json()
    assert (receipt["receiptStatus"], receipt["threaded"], receipt["warningCode"]) == (
        "RECEIVED", False, "reply.reference.unknown")
    assert "ReplyData" in receipt["warningMessage"]
    message = Message.objects.get(pk=receipt["messageId"])
    assert (message.thread, message.mailbox) == (None, cast.anna.mailbox)
    assert RefusedReply.objects.count() == 0


def test_a_letter_without_reply_data_says_nothing_about_threads(cast):
    receipt = cast.nordby.submit(cast.nordby.memo(cast.anna)).json()
    assert (receipt["threaded"], receipt["warningCode"], receipt["warningMessage"]) == (None, None, None)


def _comparable(receipt: dict) -> dict:
    return {k: v for k, v in receipt.items() if k not in {"transmissionId", "messageUUID", "messageId", "timeStamp"}}


def test_another_authoritys_conversation_is_answered_exactly_like_an_unknown_one_and_left_alone(cast, world):
    """Nordby copies the ReplyData of Anna's inquiry to Sydby: nothing tells Nordby that conversation exists."""
    sydbys = pulled(world["sydby_pull"], world["to_sydby"])
    foreign = cast.nordby.submit(answer(cast.nordby, sydbys))
    unknown = cast.nordby.submit(answer(cast.nordby, sydbys, reply_data=(
        memo.ReplyData(message_uuid=str(uuid.uuid4()), additional_reply_data=(
            memo.AdditionalReplyData(label="sagsnr", value="SAG-1"),)),)))

    assert (foreign.status_code, _comparable(foreign.json())) == (unknown.status_code, _comparable(unknown.json()))
    assert foreign.json()["threaded"] is False
    sydby_thread = world["to_sydby"].thread
    assert list(sydby_thread.messages.values_list("pk", flat=True)) == [world["to_sydby"].pk]
    assert Message.objects.get(pk=foreign.json()["messageId"]).thread is None
    assert RefusedReply.objects.count() == 0


def test_the_sydby_token_with_nordbys_own_message_uuid_still_files_nothing_in_sydbys_conversation(cast, world):
    (sydbys,) = pulled(world["sydby_pull"], world["to_sydby"]).header.reply_data
    response = cast.nordby.submit(answer(cast.nordby, pulled(world["sydby_pull"], world["to_sydby"]),
                                         reply_data=(replace(sydbys, message_uuid=str(uuid.uuid4())),)))
    assert (response.status_code, response.json()["threaded"]) == (201, False)
    assert world["to_sydby"].thread.messages.count() == 1


def refused_with(response, code: str, status: int) -> None:
    assert response.status_code == status
    receipt = response.json()
    assert (receipt["errorCode"], receipt["messageId"]) == (code, None)
    assert receipt["threaded"] is None


def test_an_answer_to_someone_else_than_the_conversations_party_is_refused_and_nothing_stored(cast, world):
    inquiry = world["to_nordby"]
    before = stored()
    response = cast.nordby.submit(answer(cast.nordby, pulled(world["nordby_pull"], inquiry), to=cast.bent))
    refused_with(response, "reply.recipient.mismatch", 403)
    assert cast.anna.number not in response.json()["errorMessage"]
    assert stored() == before
    row = RefusedReply.objects.get()
    assert (row.code, row.channel, row.sender_system, row.thread, row.authority) == (
        "reply.recipient.mismatch", "rest", cast.nordby.system, inquiry.thread, cast.nordby.authority)


def test_an_answer_to_the_right_number_as_a_company_is_refused_too(cast, world):
    response = cast.nordby.submit(answer(cast.nordby, pulled(world["nordby_pull"], world["to_nordby"]),
                                         to=cast.dorte))
    refused_with(response, "reply.recipient.mismatch", 403)


def test_a_conversation_closed_to_answers_refuses_the_reply(cast, world):
    inquiry = world["to_nordby"]
    Thread.objects.filter(pk=inquiry.thread_id).update(party_may_reply=False)
    before = stored()
    response = cast.nordby.submit(answer(cast.nordby, pulled(world["nordby_pull"], inquiry)))
    refused_with(response, "reply.not.allowed", 422)
    assert stored() == before


def test_a_secure_mail_systems_token_may_not_answer_over_rest(cast, world):
    """The mirror of the gateway's rule: a secure-mail system answers by mail; REST answers come from REST systems."""
    outlook = create_sender_system(authority=cast.nordby.authority, name="Nordby Outlook")
    SenderSystem.objects.filter(pk=outlook.system.pk).update(channel=SenderSystem.Channel.SECURE_MAIL)
    as_outlook = Client(HTTP_AUTHORIZATION=f"Bearer {outlook.token}")
    before = stored()
    response = cast.nordby.submit(answer(cast.nordby, pulled(world["nordby_pull"], world["to_nordby"])),
                                  client=as_outlook)
    refused_with(response, "reply.sender.not.allowed", 403)
    assert stored() == before
    assert RefusedReply.objects.get().sender_system_id == outlook.system.pk


def test_a_changed_dialog_thread_is_refused(cast, world):
    (hubs,) = pulled(world["nordby_pull"], world["to_nordby"]).header.reply_data
    (token,) = hubs.additional_reply_data
    changed = token.value[:-3] + ("AAA" if not token.value.endswith("AAA") else "BBB")
    bad = replace(hubs, additional_reply_data=(memo.AdditionalReplyData(label=REPLY_DATA_LABEL, value=changed),))
    response = cast.nordby.submit(answer(cast.nordby, pulled(world["nordby_pull"], world["to_nordby"]),
                                         reply_data=(bad,)))
    refused_with(response, "reply.thread.invalid", 403)


def test_reply_data_naming_two_conversations_is_refused(cast, world, drain):
    staff_box = create_mailbox(authority=cast.nordby.authority, name="Skat")
    other = send_inquiry(party=cast.anna, mailbox=staff_box, inquiry=Inquiry(subject="Skat", text="Hej"))
    both = (memo.ReplyData(message_uuid=str(world["to_nordby"].message_uuid)),
            memo.ReplyData(message_uuid=str(other.message_uuid)))
    response = cast.nordby.submit(answer(cast.nordby, pulled(world["nordby_pull"], world["to_nordby"]),
                                         reply_data=both))
    refused_with(response, "reply.thread.invalid", 403)


def test_the_same_reply_sent_again_replays_its_receipt(cast, world):
    reply = answer(cast.nordby, pulled(world["nordby_pull"], world["to_nordby"]))
    first = cast.nordby.submit(reply)
    before = stored()
    again = cast.nordby.submit(reply)
    assert (again.status_code, again.json()) == (200, first.json())
    assert stored() == before


def test_an_invalid_memo_as_a_reply_is_refused_by_the_memo_rules_and_counted(cast, world):
    inquiry = pulled(world["nordby_pull"], world["to_nordby"])
    letter = cast.nordby.memo(cast.anna, files=[("svar.exe", "application/octet-stream", PDF)])
    letter = replace(letter, header=replace(letter.header, reply_data=inquiry.header.reply_data))
    response = cast.nordby.submit(letter)
    refused_with(response, "file.extension.not.allowed", 400)
    assert RefusedReply.objects.get().code == "file.extension.not.allowed"


def test_an_answers_actions_are_kept_like_a_letters(cast, world):
    inquiry = world["to_nordby"]
    reply = with_actions(answer(cast.nordby, pulled(world["nordby_pull"], inquiry)),
                         link_action("Book tid", "SELVBETJENING", "https://booking.nordby.example/"))
    response = cast.nordby.submit(reply)
    assert response.json()["threaded"] is True
    filed = Message.objects.get(pk=response.json()["messageId"])
    assert [(a["code"], a["url"]) for a in filed.actions] == [("SELVBETJENING", "https://booking.nordby.example/")]
    assert filed.has_undated_action is True
