"""Casework on a conversation: replying as the standard sender system, assigning, marking handled, reopening."""

import pytest

from digitalpost.accounts.services import create_user, grant_role
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.casework import assign_inquiry, mark_inquiry_handled, reply_to_inquiry
from digitalpost.conversations.services.inquiries import Inquiry, send_followup, send_inquiry
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.lifecycle import EventKind
from digitalpost.core.roles import Actor, Role
from digitalpost.messages.models import Message, Thread
from digitalpost.systems.models import SenderSystem

NIELS = Actor("niels", 2)


@pytest.fixture
def thread(cast, staff) -> Thread:
    inquiry = Inquiry(subject="Mit pas", text="Hvornår er mit pas klar?", topic="Pas")
    return send_inquiry(party=cast.anna, mailbox=staff.nordby_borgerservice, inquiry=inquiry).thread


def refused(call, **kwargs) -> ErrorCode:
    with pytest.raises(DigitalPostError) as caught:
        call(**kwargs)
    return caught.value.code


def test_reply_goes_out_from_the_standard_sender_system_with_the_thread_subject(cast, thread):
    reply = reply_to_inquiry(thread=thread, text="Dit pas er klar.", actor=NIELS)
    assert reply.sender_system == cast.nordby.system
    assert reply.label == "SV: Mit pas"
    assert reply.events.get().data["channel"] == "portal"


@pytest.mark.parametrize("text", ["", "   \n "])
def test_a_reply_without_text_is_refused_with_reply_empty(thread, text):
    code = refused(reply_to_inquiry, thread=thread, text=text, attachments=[("a.pdf", "application/pdf", b"%PDF")],
                   actor=NIELS)
    assert code == ErrorCode.REPLY_EMPTY
    assert thread.messages.count() == 1


def test_a_reply_larger_than_the_mailbox_allows_is_refused(cast):
    small = create_mailbox(authority=cast.nordby.authority, name="Lille", max_message_bytes=1000)
    thread = send_inquiry(party=cast.anna, mailbox=small, inquiry=Inquiry(subject="x", text="y")).thread
    code = refused(reply_to_inquiry, thread=thread, text="Se bilag",
                   attachments=[("stor.pdf", "application/pdf", b"%PDF" + b"0" * 2000)], actor=NIELS)
    assert code == ErrorCode.MESSAGE_TOO_LARGE


def test_without_a_standard_sender_system_the_reply_is_refused_saying_what_to_set_up(cast, thread):
    SenderSystem.objects.filter(authority=cast.nordby.authority).update(is_standard=False)
    assert refused(reply_to_inquiry, thread=thread, text="Svar", actor=NIELS) == (
        ErrorCode.STANDARD_SENDER_SYSTEM_REQUIRED)
    SenderSystem.objects.filter(pk=cast.nordby.system.pk).update(is_standard=True, is_active=False)
    assert refused(reply_to_inquiry, thread=thread, text="Svar", actor=NIELS) == (
        ErrorCode.STANDARD_SENDER_SYSTEM_REQUIRED)
    assert thread.messages.count() == 1


def test_assigning_records_who_on_the_latest_inquirys_timeline(cast, staff, thread):
    followup = send_followup(party=cast.anna, thread=thread, text="Hallo?")
    assigned = assign_inquiry(thread=thread, assignee=staff.niels, actor=NIELS)
    assert assigned.assigned_to == staff.niels
    event = followup.events.get(kind=EventKind.INQUIRY_ASSIGNED)
    assert event.data == {"to": "niels", "by": "niels"}
    assign_inquiry(thread=thread, assignee=None, actor=NIELS)
    thread.refresh_from_db()
    assert thread.assigned_to is None
    assert followup.events.filter(kind=EventKind.INQUIRY_ASSIGNED).count() == 2


def test_only_a_caseworker_of_the_mailbox_can_be_assigned(cast, staff, thread):
    other_box = create_mailbox(authority=cast.nordby.authority, name="Skat")
    karen = create_user(username="karen", full_name="Karen Kok", email="karen@example.org", password="x" * 12)
    grant_role(authority=cast.nordby.authority, user=karen, role=Role.CASEWORKER, mailboxes=[other_box])
    for outsider in (karen, staff.nora, staff.sofie):
        assert refused(assign_inquiry, thread=thread, assignee=outsider, actor=NIELS) == ErrorCode.USER_NOT_FOUND
    thread.refresh_from_db()
    assert thread.assigned_to is None
    assert not Message.objects.filter(events__kind=EventKind.INQUIRY_ASSIGNED).exists()


def test_marking_handled_and_reopening_are_on_the_timeline(thread):
    inquiry = thread.messages.get()
    assert mark_inquiry_handled(thread=thread, handled=True, actor=NIELS).handled_at is not None
    mark_inquiry_handled(thread=thread, handled=True, actor=NIELS)  # again: nothing new
    assert mark_inquiry_handled(thread=thread, handled=False, actor=NIELS).handled_at is None
    data = [e.data for e in inquiry.events.filter(kind=EventKind.INQUIRY_HANDLED).order_by("seq")]
    assert data == [{"handled": True, "by": "niels"}, {"handled": False, "by": "niels"}]


def test_a_new_inquiry_in_a_handled_conversation_opens_it_again(cast, thread):
    mark_inquiry_handled(thread=thread, handled=True, actor=NIELS)
    send_followup(party=cast.anna, thread=thread, text="Et spørgsmål mere")
    thread.refresh_from_db()
    assert thread.handled_at is None
