"""A citizen writes again in an existing conversation; refused where the authority said no reply."""

import pytest

from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_followup, send_inquiry
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.messages.models import Message, Thread
from digitalpost.outbox.models import Job


@pytest.fixture
def thread(cast) -> Thread:
    mailbox = create_mailbox(authority=cast.nordby.authority, name="Borgerservice")
    return send_inquiry(party=cast.anna, mailbox=mailbox, inquiry=Inquiry(subject="Mit pas", text="Hej")).thread


def test_followup_joins_the_thread_and_is_forwarded(cast, thread):
    message = send_followup(party=cast.anna, thread=thread, text="Har I set min besked?",
                            attachments=[("foto.jpg", "image/jpeg", b"\xff\xd8jpeg")])
    assert message.thread == thread
    assert message.label == "SV: Mit pas"
    assert [d.filename for d in message.documents.all()] == ["henvendelse.txt", "foto.jpg"]
    assert Job.objects.filter(kind="FORWARD", key=f"forward:{message.pk}").exists()
    assert Thread.objects.count() == 1


def test_followup_where_the_authority_said_no_reply_is_refused(cast, thread):
    Thread.objects.filter(pk=thread.pk).update(party_may_reply=False)
    thread.refresh_from_db()
    with pytest.raises(DigitalPostError) as caught:
        send_followup(party=cast.anna, thread=thread, text="Hej igen")
    assert caught.value.code == ErrorCode.REPLY_NOT_ALLOWED
    assert Message.objects.filter(thread=thread).count() == 1


def test_someone_else_cannot_write_in_the_thread(cast, thread):
    with pytest.raises(DigitalPostError) as caught:
        send_followup(party=cast.dorte, thread=thread, text="Ikke min samtale")
    assert caught.value.code == ErrorCode.MESSAGE_NOT_FOUND
    assert Message.objects.filter(thread=thread).count() == 1
