"""The one reply path: a reply filed in a conversation is a valid MeMo answering the thread, delivered by the worker.

The gateway (secure mail, tests/gateway) and the portal (tests/portal/test_casework_*) both call
`file_reply`; these tests pin down what it files, whichever way the reply came.
"""

import pytest

from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.conversations.services.replies import file_reply
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.lifecycle import EventKind, ReceiptStatus
from digitalpost.core.roles import Actor
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Message, Thread
from digitalpost.outbox.models import Job
from digitalpost.protocols import memo

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def thread(cast) -> Thread:
    mailbox = create_mailbox(authority=cast.nordby.authority, name="Borgerservice")
    return send_inquiry(party=cast.anna, mailbox=mailbox, inquiry=Inquiry(subject="Mit pas", text="Hej")).thread


def test_reply_is_a_valid_memo_answering_the_first_message_of_the_thread(cast, thread):
    first = thread.messages.get()
    reply = file_reply(thread=thread, system=cast.nordby.system, subject="SV: Mit pas", text="Dit pas er klar.",
                       attachments=[("kvittering.pdf", "application/pdf", PDF)], channel="portal",
                       actor=Actor("niels", 7))
    letter = memo.parse(bytes(reply.pending_memo), max_bytes=10**7)
    assert letter.header.reply_data[0].message_uuid == str(first.message_uuid)
    assert letter.header.reply_data[0].contact_point_id == str(thread.authority_mailbox_id)
    assert (letter.header.recipient.recipient_id, letter.header.recipient.id_type) == (cast.anna.number, "CPR")
    assert [f.filename for _, _, f in memo.iter_files(letter)] == ["svar.txt", "kvittering.pdf"]
    assert (reply.direction, reply.thread, reply.sender_system) == (
        Message.Direction.TO_PARTY, thread, cast.nordby.system)
    event = reply.events.get()
    assert event.kind == EventKind.MESSAGE_RECEIVED
    assert event.data == {"channel": "portal", "thread": str(thread.pk), "senderSystem": str(cast.nordby.system.pk),
                          "by": "niels"}
    assert reply.receipts.get().status == ReceiptStatus.RECEIVED
    assert Job.objects.filter(kind="DELIVER", key=f"deliver:{reply.pk}").exists()


def test_filed_reply_is_delivered_into_the_partys_conversation(cast, thread, drain):
    reply = file_reply(thread=thread, system=cast.nordby.system, subject="", text="Dit pas er klar.",
                       channel="secure-mail")
    assert drain() == 1
    reply.refresh_from_db()
    assert reply.state == Message.State.DELIVERED
    assert reply.label == "Mit pas"  # no subject: the thread's
    main = reply.documents.get(position=1)
    assert blob_store().read(main.blob) == b"Dit pas er klar."
    assert reply.mailbox == cast.anna.mailbox


def test_reply_breaking_the_memo_rules_is_refused_and_nothing_is_filed(cast, thread):
    with pytest.raises(DigitalPostError) as caught:
        file_reply(thread=thread, system=cast.nordby.system, subject="", text="Se bilag",
                   attachments=[("virus.exe", "application/octet-stream", b"MZ")], channel="portal")
    assert caught.value.code == ErrorCode.FILE_EXTENSION_NOT_ALLOWED
    assert thread.messages.count() == 1
    assert not Job.objects.filter(kind="DELIVER").exists()
