"""The lifecycle service: each ending happens once, with its event and receipt, and a second try changes nothing."""

from django.db import transaction
from django.utils import timezone

from digitalpost.core.lifecycle import EventKind
from digitalpost.messages.models import Message, Receipt
from digitalpost.messages.services.lifecycle import (
    lock_message,
    mark_delivered,
    record_failed,
    record_recalled,
)


def delivered_letter(cast, drain) -> Message:
    cast.nordby.submit(cast.nordby.memo(cast.anna))
    assert drain() == 1
    return Message.objects.get()


def test_delivering_a_delivered_message_again_returns_false_and_writes_nothing(cast, drain):
    message = delivered_letter(cast, drain)
    events = message.events.count()

    assert mark_delivered(message_id=message.pk, data={"channel": "web-mailbox"}) is False

    assert message.events.count() == events
    assert Receipt.objects.filter(message=message, status="COMPLETED").count() == 1


def test_a_delivered_message_is_neither_failed_nor_recalled_afterwards(cast, drain):
    message = delivered_letter(cast, drain)
    kinds = list(message.events.values_list("kind", flat=True))

    with transaction.atomic():
        locked = lock_message(message.pk)
        assert record_failed(locked, at=timezone.now(), reason="too late") is False
        assert record_recalled(locked, at=timezone.now(), by="nora") is False

    message.refresh_from_db()
    assert message.state == Message.State.DELIVERED
    assert list(message.events.values_list("kind", flat=True)) == kinds


def test_a_failure_is_recorded_once_with_its_reason(cast):
    cast.nordby.submit(cast.nordby.memo(cast.anna))
    message = Message.objects.get()

    with transaction.atomic():
        assert record_failed(lock_message(message.pk), at=timezone.now(), reason="mailbox gone") is True
        assert record_failed(lock_message(message.pk), at=timezone.now(), reason="again") is False

    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    assert [e.data for e in message.events.filter(kind=EventKind.DELIVERY_FAILED)] == [{"reason": "mailbox gone"}]
    assert not Receipt.objects.filter(message=message, status="COMPLETED").exists()
