"""A legal notification's first opening by the recipient is recorded once, on the sender's timeline."""

from datetime import datetime, timedelta

from digitalpost.core.lifecycle import EventKind
from digitalpost.messages.models import Message
from digitalpost.messages.services.events import verify_timeline
from digitalpost.messages.services.reading import record_read


def deliver(cast, drain, *, legal: bool = True, mandatory: bool = False) -> Message:
    letter = cast.nordby.memo(cast.anna, label="Afgørelse", legal_notification=legal, mandatory=mandatory)
    response = cast.nordby.submit(letter)
    assert response.status_code == 201, response.content
    drain()
    return Message.objects.get(pk=response.json()["messageId"])


def kinds(message: Message) -> list[str]:
    return list(message.events.order_by("seq").values_list("kind", flat=True))


def test_first_opening_records_legally_notified_once_and_the_chain_holds(cast, drain):
    message = deliver(cast, drain)
    assert message.is_legal_notification
    assert message.legally_notified_at is None

    assert record_read(message=message) is True
    assert record_read(message=message) is False
    record_read(message=message)

    message.refresh_from_db()
    assert kinds(message) == ["MESSAGE_RECEIVED", "MESSAGE_DELIVERED", "MESSAGE_READ", "MESSAGE_LEGALLY_NOTIFIED"]
    notified = message.events.get(kind=EventKind.MESSAGE_LEGALLY_NOTIFIED)
    assert notified.at == message.legally_notified_at == message.read_at
    assert verify_timeline(message) is None


def test_an_opening_without_rights_to_act_reads_but_never_notifies_and_the_recipient_still_does(cast, drain):
    message = deliver(cast, drain)

    record_read(message=message, by_recipient=False)
    message.refresh_from_db()
    assert message.read_at is not None
    assert message.legally_notified_at is None
    assert kinds(message)[-1] == "MESSAGE_READ"

    assert record_read(message=message) is False  # read before, but this is the recipient's first opening
    message.refresh_from_db()
    assert message.legally_notified_at is not None
    assert message.legally_notified_at > message.read_at
    assert kinds(message).count("MESSAGE_LEGALLY_NOTIFIED") == 1
    assert verify_timeline(message) is None


def test_an_ordinary_letter_is_never_legally_notified(cast, drain):
    message = deliver(cast, drain, legal=False, mandatory=True)
    record_read(message=message)
    message.refresh_from_db()
    assert message.is_mandatory
    assert message.legally_notified_at is None
    assert EventKind.MESSAGE_LEGALLY_NOTIFIED not in kinds(message)


def test_the_sender_reads_the_opening_with_its_time_in_the_timeline(cast, drain):
    message = deliver(cast, drain)
    record_read(message=message)
    message.refresh_from_db()
    timeline = cast.nordby.client().get(f"/apis/v1/messages/{message.message_uuid}/events").json()
    (notified,) = [e for e in timeline["events"] if e["kind"] == "MESSAGE_LEGALLY_NOTIFIED"]
    at = datetime.fromisoformat(notified["at"])
    assert abs(at - message.legally_notified_at) < timedelta(milliseconds=1)  # the API gives milliseconds
    # Another authority learns nothing of it.
    assert cast.sydby.client().get(f"/apis/v1/messages/{message.message_uuid}/events").status_code == 404
