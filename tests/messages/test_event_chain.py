"""The per-message event log is hash-chained: any edit or deletion is detected."""

from digitalpost.messages.models import Event, Message
from digitalpost.messages.services.events import verify_timeline


def _delivered(cast, drain) -> Message:
    cast.nordby.submit(cast.nordby.memo(cast.anna))
    drain()
    return Message.objects.get()


def test_intact_timeline_verifies(cast, drain):
    assert verify_timeline(_delivered(cast, drain)) is None


def test_edited_event_data_is_detected(cast, drain):
    message = _delivered(cast, drain)
    Event.objects.filter(message=message, seq=1).update(data={"transmissionId": "forged"})
    assert verify_timeline(message) == 1


def test_deleted_event_is_detected(cast, drain):
    message = _delivered(cast, drain)
    Event.objects.filter(message=message, seq=1).delete()
    assert verify_timeline(message) == 2


def test_each_event_links_to_the_hash_before_it(cast, drain):
    first, second = _delivered(cast, drain).events.order_by("seq")
    assert second.prev_hash == first.hash
