"""GET /apis/v1/messages/{messageUUID}/events: the timeline, final once delivered; never another's."""

from digitalpost.messages.models import Message
from digitalpost.messages.services.events import verify_timeline


def test_timeline_shows_received_then_delivered_and_becomes_final(cast, drain):
    letter = cast.nordby.memo(cast.anna)
    cast.nordby.submit(letter)
    url = f"/apis/v1/messages/{letter.header.message_uuid}/events"

    before = cast.nordby.client().get(url).json()
    assert [e["kind"] for e in before["events"]] == ["MESSAGE_RECEIVED"]
    assert before["final"] is False

    drain()
    after = cast.nordby.client().get(url).json()
    assert [e["kind"] for e in after["events"]] == ["MESSAGE_RECEIVED", "MESSAGE_DELIVERED"]
    assert after["final"] is True
    assert verify_timeline(Message.objects.get()) is None


def test_another_authority_gets_404_for_a_message_it_did_not_send(cast):
    letter = cast.nordby.memo(cast.anna)
    cast.nordby.submit(letter)
    response = cast.sydby.client().get(f"/apis/v1/messages/{letter.header.message_uuid}/events")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "message.not.found"
