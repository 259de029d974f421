"""A citizen writes to an authority mailbox: a thread opens and forwarding is queued — or a clear refusal."""

import pytest

from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Message, Thread
from digitalpost.outbox.models import Job
from digitalpost.protocols import memo


@pytest.fixture
def borgerservice(cast):
    return create_mailbox(authority=cast.nordby.authority, name="Borgerservice", topics=["Pas", "Kørekort"],
                          metadata_fields=[("Sagsnummer", False), ("Barnets navn", True)])


def inquiry(**changes):
    values = {"subject": "Mit pas", "text": "Hvornår er mit pas klar?", "topic": "Pas",
              "metadata": (("Barnets navn", "Emilie"),)}
    return Inquiry(**(values | changes))


def test_inquiry_opens_a_thread_and_queues_forwarding(cast, borgerservice):
    message = send_inquiry(party=cast.anna, mailbox=borgerservice, inquiry=inquiry(
        attachments=[("pas.pdf", "application/pdf", b"%PDF-1.4 pas")]))
    thread = Thread.objects.get()
    assert message.thread == thread
    assert (thread.party, thread.authority_mailbox, thread.topic) == (cast.anna, borgerservice, "Pas")
    assert message.direction == Message.Direction.TO_AUTHORITY
    assert message.sender_system is None
    assert [d.filename for d in message.documents.all()] == ["henvendelse.txt", "pas.pdf"]
    assert Job.objects.filter(kind="FORWARD", key=f"forward:{message.pk}").exists()


def test_stored_inquiry_is_a_valid_memo_naming_the_mailbox_topic_and_fields(cast, borgerservice):
    message = send_inquiry(party=cast.anna, mailbox=borgerservice, inquiry=inquiry())
    stored = memo.parse(blob_store().read(message.memo_blob), max_bytes=10**7)
    header = stored.header
    assert (header.sender.sender_id, header.sender.id_type) == (cast.anna.number, "CPR")
    assert header.recipient.recipient_id == cast.nordby.authority.cvr
    assert header.recipient.contact_point.contact_point_id == str(borgerservice.pk)
    fields = [(c.content_data_name, c.content_data_value) for c in header.content_data.additional_content_data]
    assert fields == [("Emne", "Pas"), ("Barnets navn", "Emilie")]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"topic": "Skat"}, ErrorCode.TOPIC_REQUIRED),
        ({"metadata": ()}, ErrorCode.METADATA_MISSING),
        ({"attachments": [("a.exe", "application/octet-stream", b"MZ")]}, ErrorCode.FILE_EXTENSION_NOT_ALLOWED),
        ({"attachments": [(f"{n}.pdf", "application/pdf", b"%PDF") for n in range(11)]},
         ErrorCode.ATTACHMENTS_TOO_MANY),
        ({"attachments": [("a:b.pdf", "application/pdf", b"%PDF")]}, ErrorCode.FILE_NAME_NOT_ALLOWED),
    ],
)
def test_bad_inquiry_is_refused_with_its_code_and_nothing_is_stored(cast, borgerservice, changes, code):
    with pytest.raises(DigitalPostError) as caught:
        send_inquiry(party=cast.anna, mailbox=borgerservice, inquiry=inquiry(**changes))
    assert caught.value.code == code
    assert (Message.objects.count(), Thread.objects.count(), Job.objects.count()) == (0, 0, 0)


def test_inquiry_larger_than_the_mailbox_allows_is_refused(cast):
    small = create_mailbox(authority=cast.nordby.authority, name="Lille", max_message_bytes=1000)
    with pytest.raises(DigitalPostError) as caught:
        send_inquiry(party=cast.anna, mailbox=small, inquiry=Inquiry(subject="x", text="y" * 2000))
    assert caught.value.code == ErrorCode.MESSAGE_TOO_LARGE


def test_closed_mailbox_refuses_new_inquiries(cast):
    closed = create_mailbox(authority=cast.nordby.authority, name="Lukket", is_open=False)
    with pytest.raises(DigitalPostError) as caught:
        send_inquiry(party=cast.anna, mailbox=closed, inquiry=Inquiry(subject="x", text="y"))
    assert caught.value.code == ErrorCode.MAILBOX_CLOSED


def test_company_may_write_to_an_authority_mailbox(cast, borgerservice):
    message = send_inquiry(party=cast.dorte, mailbox=borgerservice, inquiry=inquiry())
    stored = memo.parse(blob_store().read(message.memo_blob), max_bytes=10**7)
    assert (stored.header.sender.sender_id, stored.header.sender.id_type) == (cast.dorte.number, "CVR")
