"""POST /apis/v1/memos with application/x-lzma: a mass send, each item receipted on its own."""

from __future__ import annotations

import pytest

from digitalpost.bulk.models import MassSend
from digitalpost.messages.models import Event, Message
from digitalpost.outbox.models import Job, WorkKind
from helpers.bulk_archives import memo_files, post_archive, tar_lzma
from helpers.kombipost import a4_pdf


def items_of(sender, mass_send_id: str, *, after: int = 0, limit: int = 500) -> dict:
    response = sender.client().get(f"/apis/v1/mass-sends/{mass_send_id}/items?after={after}&limit={limit}")
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.fixture
def mixed(cast, settings):
    """Two dozen letters for Anna, one for exempt Bent, and the refusals: bad XML, closed Carl, Sydby's sender
    in Nordby's archive, an oversized file; plus a folder entry (not an item)."""
    settings.DIGITALPOST_BULK_MAX_ITEM_BYTES = 20_000
    good = memo_files([cast.nordby.memo(cast.anna, label=f"Brev {i}") for i in range(24)])
    files = [*good[:10], ("broken.xml", b"<Message>not a MeMo")]
    letter = [("brev.pdf", "application/pdf", a4_pdf())]
    files += memo_files([cast.nordby.memo(cast.carl), cast.nordby.memo(cast.bent, files=letter)])
    files += memo_files([cast.nordby.memo(cast.anna, sender_cvr=cast.sydby.authority.cvr)])
    files += [("huge.xml", b"x" * 30_000), *good[10:]]
    return files


def test_each_item_of_an_archive_gets_its_own_receipt_and_a_bad_item_never_stops_the_rest(cast, mixed, caplog):
    response = post_archive(cast.nordby, tar_lzma(mixed, directories=["brev/"]), kombi="automatic")
    assert response.status_code == 201, response.json()
    # The bad items were refused within their group; the group was not given up and accepted one by one.
    assert "could not be recorded together" not in caplog.text
    body = response.json()
    assert (body["state"], body["items"], body["accepted"], body["replayed"], body["refused"]) == (
        "COMPLETED", 29, 25, 0, 4)
    assert response["Location"] == f"/apis/v1/mass-sends/{body['massSendId']}"
    receipts = items_of(cast.nordby, body["massSendId"])["items"]
    assert [r["position"] for r in receipts] == list(range(1, 30))
    by_name = {r["name"]: r for r in receipts}
    refused = {r["name"]: (r["receiptStatus"], r["errorCode"]) for r in receipts if r["errorCode"]}
    carl, bent, sydby = (name for name, _ in mixed[11:14])
    assert refused == {"broken.xml": ("INVALID", "memo.invalid"), carl: ("NOT_ALLOWED", "recipient.is.closed"),
                       sydby: ("NOT_ALLOWED", "sender.not.allowed"), "huge.xml": ("INVALID", "memo.too.large")}
    assert by_name[bent]["channel"] == "PRINT"
    accepted = [r for r in receipts if r["receiptStatus"] == "RECEIVED"]
    stored = {str(u) for u in Message.objects.values_list("message_uuid", flat=True)}
    assert {r["messageUUID"] for r in accepted} == stored
    assert len(stored) == 25


def test_item_receipts_page_with_a_cursor(cast, mixed):
    mass_send_id = post_archive(cast.nordby, tar_lzma(mixed)).json()["massSendId"]
    first = items_of(cast.nordby, mass_send_id, limit=10)
    second = items_of(cast.nordby, mass_send_id, after=first["cursor"], limit=100)
    assert [r["position"] for r in first["items"]] == list(range(1, 11))
    assert [r["position"] for r in second["items"]] == list(range(11, 30))
    assert items_of(cast.nordby, mass_send_id, after=second["cursor"])["items"] == []


def test_items_are_delivered_from_the_mass_send_lane_and_their_events_name_the_mass_send(cast, drain):
    files = memo_files([cast.nordby.memo(cast.anna) for _ in range(6)])
    mass_send_id = post_archive(cast.nordby, tar_lzma(files)).json()["massSendId"]
    messages = list(Message.objects.all())
    jobs = Job.objects.filter(payload__message__in=[str(m.pk) for m in messages])
    assert sorted(jobs.values_list("kind", flat=True)) == [WorkKind.DELIVER_BULK] * 6
    for message in messages:
        received = Event.objects.get(message=message, kind="MESSAGE_RECEIVED")
        assert received.data["massSend"] == mass_send_id
    assert drain(WorkKind.DELIVER) == 0
    assert drain(WorkKind.DELIVER_BULK) == 6
    assert set(Message.objects.values_list("state", flat=True)) == {"DELIVERED"}


def test_a_single_message_still_goes_to_the_ordinary_lane(cast):
    response = cast.nordby.submit(cast.nordby.memo(cast.anna))
    assert response.status_code == 201
    assert list(Job.objects.values_list("kind", flat=True)) == [WorkKind.DELIVER]


def test_a_damaged_archive_is_refused_and_the_items_before_the_damage_stay_accepted(cast):
    files = memo_files([cast.nordby.memo(cast.anna, label=f"Brev {i}") for i in range(40)])
    whole = tar_lzma(files, preset=0)
    response = post_archive(cast.nordby, whole[: len(whole) * 2 // 3])
    assert response.status_code == 400
    body = response.json()
    assert (body["state"], body["errorCode"]) == ("DAMAGED", "archive.damaged")
    assert 0 < body["accepted"] < 40
    assert body["refused"] == 0
    assert Message.objects.count() == body["accepted"]
    kept = [r["messageUUID"] for r in items_of(cast.nordby, body["massSendId"])["items"]]
    assert kept == [name.removesuffix(".xml") for name, _ in files[: body["accepted"]]]

    again = post_archive(cast.nordby, whole).json()
    assert (again["state"], again["accepted"], again["replayed"]) == ("COMPLETED", 40 - body["accepted"],
                                                                     body["accepted"])
    assert Message.objects.count() == 40
    assert Job.objects.filter(kind=WorkKind.DELIVER_BULK).count() == 40


@pytest.mark.parametrize("body", [b"]\x00\x00", b"plainly not compressed", tar_lzma([])[:-4]])
def test_what_is_not_a_readable_archive_is_refused_with_archive_damaged(cast, body):
    response = post_archive(cast.nordby, body)
    assert (response.status_code, response.json()["errorCode"]) == (400, "archive.damaged")
    assert response.json()["items"] == 0


def test_an_item_sent_twice_in_one_archive_is_accepted_once_and_replayed(cast):
    files = memo_files([cast.nordby.memo(cast.anna)])
    body = post_archive(cast.nordby, tar_lzma(files + files)).json()
    assert (body["accepted"], body["replayed"]) == (1, 1)
    assert Message.objects.count() == 1


def test_progress_is_readable_by_the_sender_and_by_no_other_system(cast):
    mass_send_id = post_archive(cast.nordby, tar_lzma(memo_files([cast.nordby.memo(cast.anna)]))).json()["massSendId"]
    progress = cast.nordby.client().get(f"/apis/v1/mass-sends/{mass_send_id}")
    assert (progress.status_code, progress.json()["state"], progress.json()["accepted"]) == (200, "COMPLETED", 1)
    for path in (f"/apis/v1/mass-sends/{mass_send_id}", f"/apis/v1/mass-sends/{mass_send_id}/items"):
        intruder = cast.sydby.client().get(path)
        assert (intruder.status_code, intruder.json()["errorCode"]) == (404, "mass.send.not.found")
        assert cast.sydby.client().get(path).json()["detail"] == str(mass_send_id)
    assert cast.nordby.client().get(f"/apis/v1/mass-sends/{MassSend().pk}").status_code == 404


def test_a_mass_send_needs_the_systems_token(cast, client):
    response = client.post("/apis/v1/memos", data=tar_lzma([]), content_type="application/x-lzma")
    assert response.status_code == 401
    assert not MassSend.objects.exists()
