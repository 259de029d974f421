"""REST pull: a receiver system lists, fetches, receipts and deletes the inquiries routed to it — and only those."""

import pytest
from django.test import Client

from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.core.lifecycle import EventKind
from digitalpost.delivery.channels.rest_pull import THREAD_LABEL
from digitalpost.hub.keys import thread_keyring
from digitalpost.messages.models import Message
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.protocols import memo, threads
from digitalpost.systems.services.receivers import create_pull_receiver

MEMOS = "/apis/v1/receiving/memos"


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def world(cast, drain):
    """Nordby's and Sydby's pull receivers, each with a mailbox, and one forwarded inquiry from Anna to each."""
    nordby_receiver, nordby_token = create_pull_receiver(authority=cast.nordby.authority, name="Nordby ESDH")
    sydby_receiver, sydby_token = create_pull_receiver(authority=cast.sydby.authority, name="Sydby ESDH")
    nordby_box = create_mailbox(authority=cast.nordby.authority, name="Borgerservice", receiver_system=nordby_receiver)
    sydby_box = create_mailbox(authority=cast.sydby.authority, name="Borgerservice", receiver_system=sydby_receiver)
    to_nordby = send_inquiry(party=cast.anna, mailbox=nordby_box, inquiry=Inquiry(subject="Mit pas", text="Hej"))
    to_sydby = send_inquiry(party=cast.anna, mailbox=sydby_box, inquiry=Inquiry(subject="Affald", text="Hej"))
    assert drain(WorkKind.FORWARD) == 2
    return {
        "nordby": bearer(nordby_token), "sydby": bearer(sydby_token), "nordby_receiver": nordby_receiver,
        "nordby_box": nordby_box, "to_nordby": to_nordby, "to_sydby": to_sydby, "cast": cast,
    }


def listed(client: Client) -> list[str]:
    response = client.get(MEMOS)
    assert response.status_code == 200
    return [m["id"] for m in response.json()["memos"]]


def test_receiver_lists_fetches_receipts_and_deletes_its_message_until_the_list_is_empty(world):
    nordby, message = world["nordby"], world["to_nordby"]
    page = nordby.get(MEMOS).json()["memos"]
    assert [(m["id"], m["messageUUID"], m["mailbox"]["name"]) for m in page] == [
        (str(message.pk), str(message.message_uuid), "Borgerservice")]
    assert page[0]["size"] == message.memo_size

    fetched = nordby.get(f"{MEMOS}/{message.pk}")
    assert fetched.status_code == 200
    assert fetched["Content-Type"] == "application/xml"
    letter = memo.parse(fetched.content, max_bytes=10**7)
    assert letter.header.message_uuid == str(message.message_uuid)
    (reply,) = letter.header.reply_data
    assert reply.message_uuid == str(message.message_uuid)
    (extra,) = reply.additional_reply_data
    assert extra.label == THREAD_LABEL
    nordby_cvr = world["cast"].nordby.authority.cvr
    ref = threads.verify(extra.value, keyring=thread_keyring(), expected_authority_cvr=nordby_cvr)
    assert ref.thread_id == message.thread_id

    receipt = nordby.post(f"{MEMOS}/{message.pk}/receipt", data={"status": "RECEIVED", "comment": "Journalført"},
                          content_type="application/json")
    assert receipt.status_code == 200
    assert receipt.json()["status"] == "RECEIVED"
    assert nordby.delete(f"{MEMOS}/{message.pk}").status_code == 204
    assert listed(nordby) == []

    message.refresh_from_db()
    assert message.state == Message.State.DELIVERED
    delivered = message.events.filter(kind=EventKind.MESSAGE_DELIVERED).get()
    assert delivered.data == {"channel": "rest-pull", "receiver": str(world["nordby_receiver"].pk), "via": "receipt",
                              "businessReceipt": "RECEIVED", "comment": "Journalført"}


def test_forwarded_message_is_available_but_not_delivered_until_the_receiver_acknowledges(world):
    message = world["to_nordby"]
    message.refresh_from_db()
    assert message.state == Message.State.ACCEPTED
    assert [e.kind for e in message.events.all()] == [EventKind.MESSAGE_RECEIVED, EventKind.MESSAGE_AVAILABLE]
    assert Job.objects.get(key=f"forward:{message.pk}").state == Job.State.DONE


def test_message_stays_available_when_the_receiver_fetches_but_never_deletes(world, drain):
    nordby, message = world["nordby"], world["to_nordby"]
    assert nordby.get(f"{MEMOS}/{message.pk}").status_code == 200
    assert nordby.get(f"{MEMOS}/{message.pk}").status_code == 200
    drain(WorkKind.FORWARD)
    assert listed(nordby) == [str(message.pk)]


def test_delete_is_idempotent_and_fetch_after_delete_is_not_found(world):
    nordby, message = world["nordby"], world["to_nordby"]
    assert nordby.delete(f"{MEMOS}/{message.pk}").status_code == 204
    assert nordby.delete(f"{MEMOS}/{message.pk}").status_code == 204
    gone = nordby.get(f"{MEMOS}/{message.pk}")
    assert gone.status_code == 404
    assert gone.json()["errorCode"] == "message.not.found"
    message.refresh_from_db()
    assert message.events.filter(kind=EventKind.MESSAGE_DELIVERED).count() == 1


def test_same_receipt_again_replays_and_another_status_is_a_conflict(world):
    nordby, message = world["nordby"], world["to_nordby"]
    url = f"{MEMOS}/{message.pk}/receipt"
    first = nordby.post(url, data={"status": "REJECTED", "comment": "Forkert afdeling"},
                        content_type="application/json")
    again = nordby.post(url, data={"status": "REJECTED"}, content_type="application/json")
    other = nordby.post(url, data={"status": "RECEIVED"}, content_type="application/json")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert other.status_code == 409
    assert other.json()["errorCode"] == "message.already.acknowledged"


def test_receipt_after_delete_is_a_conflict(world):
    nordby, message = world["nordby"], world["to_nordby"]
    nordby.delete(f"{MEMOS}/{message.pk}")
    late = nordby.post(f"{MEMOS}/{message.pk}/receipt", data={"status": "RECEIVED"}, content_type="application/json")
    assert late.status_code == 409


def test_receipt_with_an_unknown_status_is_refused_as_invalid(world):
    nordby, message = world["nordby"], world["to_nordby"]
    bad = nordby.post(f"{MEMOS}/{message.pk}/receipt", data={"status": "MAYBE"}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["errorCode"] == "request.invalid"
    assert listed(nordby) == [str(message.pk)]


def test_receiver_never_sees_or_touches_another_receivers_message(world):
    sydby, message = world["sydby"], world["to_nordby"]
    assert str(message.pk) not in listed(sydby)
    assert sydby.get(f"{MEMOS}/{message.pk}").status_code == 404
    assert sydby.delete(f"{MEMOS}/{message.pk}").status_code == 404
    receipt = sydby.post(f"{MEMOS}/{message.pk}/receipt", data={"status": "RECEIVED"}, content_type="application/json")
    assert receipt.status_code == 404
    assert listed(world["nordby"]) == [str(message.pk)]


def test_second_receiver_of_the_same_authority_does_not_see_the_first_ones_messages(world):
    cast = world["cast"]
    _, token = create_pull_receiver(authority=cast.nordby.authority, name="Nordby arkiv")
    other = bearer(token)
    assert listed(other) == []
    assert other.get(f"{MEMOS}/{world['to_nordby'].pk}").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "sender"])
def test_requests_without_a_receiver_token_are_refused(world, header):
    if header == "sender":
        header = f"Bearer {world['cast'].nordby.token}"
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    message = world["to_nordby"]
    for response in (client.get(MEMOS), client.get(f"{MEMOS}/{message.pk}"), client.delete(f"{MEMOS}/{message.pk}")):
        assert response.status_code == 401
        assert response.json()["errorCode"] == "authentication.failed"
    assert listed(world["nordby"]) == [str(message.pk)]


def test_receiver_token_does_not_open_the_sender_api(world):
    cast = world["cast"]
    response = cast.nordby.submit(cast.nordby.memo(cast.anna), client=world["nordby"])
    assert response.status_code == 401


def test_list_is_oldest_first_and_honours_the_limit(world, drain):
    cast = world["cast"]
    later = send_inquiry(party=cast.dorte, mailbox=world["nordby_box"], inquiry=Inquiry(subject="Skat", text="Hej"))
    drain(WorkKind.FORWARD)
    assert listed(world["nordby"]) == [str(world["to_nordby"].pk), str(later.pk)]
    assert [m["id"] for m in world["nordby"].get(f"{MEMOS}?limit=1").json()["memos"]] == [str(world["to_nordby"].pk)]


def test_receiving_paths_are_in_the_served_openapi_document(world):
    document = Client().get("/apis/v1/openapi.json").json()
    paths = document["paths"]
    assert {MEMOS, MEMOS + "/{message_id}", MEMOS + "/{message_id}/receipt"} <= set(paths)
    assert "application/xml" in paths[MEMOS + "/{message_id}"]["get"]["responses"]["200"]["content"]
    assert "404" in paths[MEMOS + "/{message_id}"]["delete"]["responses"]
