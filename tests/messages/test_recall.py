"""Recalling a postponed letter: never delivered afterwards, recorded on its timeline and in the audit log.

A letter can be recalled while its doNotDeliverUntilDate lies ahead and it is still waiting; on or after
that date, or once delivered, it is too late; letters without a later date, and a second recall, are refused.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from digitalpost.audit.models import AuditEntry
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.lifecycle import EventKind, ReceiptStatus
from digitalpost.core.roles import Actor
from digitalpost.delivery.handlers import HANDLERS
from digitalpost.messages.models import Message
from digitalpost.messages.services.recall import recall_message
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.outbox.services import claim_next, complete

NORA = Actor("nora", 1)


def send(cast, *, days_ahead: int | None, sender=None) -> Message:
    sender = sender or cast.nordby
    options = {}
    if days_ahead is not None:
        options["do_not_deliver_until_date"] = timezone.localdate() + timedelta(days=days_ahead)
    response = sender.submit(sender.memo(cast.anna, label="Afgørelse", **options))
    assert response.status_code == 201, response.content
    return Message.objects.get(pk=response.json()["messageId"])


def recall(cast, message: Message, authority=None) -> Message:
    return recall_message(authority=authority or cast.nordby.authority, message_id=message.pk, actor=NORA)


def refusal(cast, message: Message, authority=None) -> ErrorCode:
    with pytest.raises(DigitalPostError) as caught:
        recall(cast, message, authority)
    return caught.value.code


def test_recalled_letter_is_never_delivered_and_its_timeline_ends_recalled(cast, drain):
    letter = send(cast, days_ahead=3)
    recalled = recall(cast, letter)
    assert recalled.state == Message.State.RECALLED
    kinds = [e.kind for e in letter.events.order_by("seq")]
    assert kinds == [EventKind.MESSAGE_RECEIVED, EventKind.DELIVERY_POSTPONED, EventKind.MESSAGE_RECALLED]
    assert letter.events.get(kind=EventKind.MESSAGE_RECALLED).data == {"by": "nora"}
    assert Job.objects.get(key=f"deliver:{letter.pk}").state == Job.State.DONE
    # Even when its date comes, the worker has nothing to do.
    Job.objects.filter(key=f"deliver:{letter.pk}").update(run_after=timezone.now())
    assert drain() == 0
    letter.refresh_from_db()
    assert (letter.state, letter.delivered_at) == (Message.State.RECALLED, None)
    assert not letter.receipts.filter(status=ReceiptStatus.COMPLETED).exists()


def test_recall_is_audit_logged_with_before_and_after(cast):
    letter = send(cast, days_ahead=3)
    recall(cast, letter)
    entry = AuditEntry.objects.get(action="message.recalled")
    assert (entry.organisation, entry.actor_label, entry.object_id) == (cast.nordby.authority.cvr, "nora",
                                                                       str(letter.pk))
    assert (entry.before["state"], entry.after["state"]) == ("ACCEPTED", "RECALLED")


def test_the_sender_system_sees_the_recall_as_the_final_event(cast):
    letter = send(cast, days_ahead=3)
    recall(cast, letter)
    body = cast.nordby.client().get(f"/apis/v1/messages/{letter.message_uuid}/events").json()
    assert body["final"] is True
    assert body["events"][-1]["kind"] == EventKind.MESSAGE_RECALLED


def test_a_worker_that_claimed_the_job_before_the_recall_skips_the_recalled_letter(cast):
    letter = send(cast, days_ahead=3)
    Job.objects.filter(key=f"deliver:{letter.pk}").update(run_after=timezone.now())  # its time came
    job = claim_next(WorkKind.DELIVER, lease=timedelta(minutes=5))
    assert job is not None
    recall(cast, letter)
    HANDLERS[WorkKind.DELIVER](job)
    complete(job)
    letter.refresh_from_db()
    assert letter.state == Message.State.RECALLED
    assert not letter.documents.exists()
    assert not letter.events.filter(kind=EventKind.MESSAGE_DELIVERED).exists()


def test_a_letter_the_worker_delivered_first_is_too_late_to_recall(cast):
    letter = send(cast, days_ahead=3)
    Job.objects.filter(key=f"deliver:{letter.pk}").update(run_after=timezone.now())
    job = claim_next(WorkKind.DELIVER, lease=timedelta(minutes=5))
    HANDLERS[WorkKind.DELIVER](job)
    assert refusal(cast, letter) == ErrorCode.RECALL_TOO_LATE
    letter.refresh_from_db()
    assert letter.state == Message.State.DELIVERED


def test_a_letter_whose_delivery_date_has_come_is_too_late_even_before_delivery(cast):
    letter = send(cast, days_ahead=0)
    assert refusal(cast, letter) == ErrorCode.RECALL_TOO_LATE
    letter.refresh_from_db()
    assert letter.state == Message.State.ACCEPTED
    assert not AuditEntry.objects.filter(action="message.recalled").exists()


def test_a_letter_without_a_later_delivery_date_cannot_be_recalled(cast):
    assert refusal(cast, send(cast, days_ahead=None)) == ErrorCode.RECALL_NOT_POSSIBLE


def test_a_letter_is_recalled_only_once(cast):
    letter = send(cast, days_ahead=3)
    recall(cast, letter)
    assert refusal(cast, letter) == ErrorCode.RECALL_NOT_POSSIBLE
    assert letter.events.filter(kind=EventKind.MESSAGE_RECALLED).count() == 1


def test_another_authority_cannot_recall_the_letter(cast):
    letter = send(cast, days_ahead=3)
    assert refusal(cast, letter, cast.sydby.authority) == ErrorCode.MESSAGE_NOT_FOUND
    letter.refresh_from_db()
    assert letter.state == Message.State.ACCEPTED
