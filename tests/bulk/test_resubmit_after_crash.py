"""A mass send cut off by a crash mid-archive: sending the archive again duplicates nothing and loses nothing."""

from __future__ import annotations

import io

import pytest

from digitalpost.bulk.models import MassSend, MassSendItem
from digitalpost.bulk.services import send_mass
from digitalpost.messages.models import Event, Message
from digitalpost.outbox.models import Job, WorkKind
from helpers.bulk_archives import memo_files, post_archive, tar_lzma


class Crash(BaseException):
    """The process dying: nothing after it runs (not even `except Exception` handlers)."""


def crashing_read(body: bytes, *, after: int):
    stream = io.BytesIO(body)

    def read(size: int) -> bytes:
        if stream.tell() >= after:
            raise Crash
        return stream.read(min(size, after - stream.tell()))

    return read


@pytest.fixture
def archive(cast, settings):
    settings.DIGITALPOST_BULK_GROUP_ITEMS = 2  # accepted in groups: a crash loses the group being read, never more
    settings.DIGITALPOST_BULK_READ_CHUNK = 1024
    files = memo_files([cast.nordby.memo(cast.anna, label=f"Skat {i}") for i in range(60)])
    return files, tar_lzma(files, preset=0)


def test_resubmission_after_a_crash_accepts_each_item_exactly_once(cast, archive, settings):
    files, body = archive
    with pytest.raises(Crash):
        send_mass(system=cast.nordby.system, read=crashing_read(body, after=len(body) // 2))
    crashed = MassSend.objects.get()
    before = Message.objects.count()
    assert 0 < before < 60
    assert crashed.state == MassSend.State.RUNNING
    assert crashed.items == before  # each group's receipts commit with its messages: none without the other

    response = post_archive(cast.nordby, body)
    assert response.status_code == 201
    again = response.json()
    assert (again["items"], again["accepted"], again["replayed"], again["refused"]) == (60, 60 - before, before, 0)
    assert Message.objects.count() == 60
    assert Event.objects.filter(kind="MESSAGE_RECEIVED").count() == 60
    assert Job.objects.filter(kind=WorkKind.DELIVER_BULK).count() == 60
    rows = MassSendItem.objects.filter(mass_send_id=again["massSendId"]).order_by("position")
    assert [r.message_uuid for r in rows] == [name.removesuffix(".xml") for name, _ in files]
    assert [r.is_replay for r in rows] == [True] * before + [False] * (60 - before)

    settings.DIGITALPOST_BULK_STALE_SECONDS = 0
    progress = cast.nordby.client().get(f"/apis/v1/mass-sends/{crashed.pk}").json()
    assert progress["state"] == "INTERRUPTED"


def test_items_replayed_from_a_crashed_mass_send_keep_their_original_receipt(cast, archive):
    files, body = archive
    with pytest.raises(Crash):
        send_mass(system=cast.nordby.system, read=crashing_read(body, after=len(body) // 3))
    first = Message.objects.get(message_uuid=files[0][0].removesuffix(".xml"))
    mass_send_id = post_archive(cast.nordby, body).json()["massSendId"]
    receipt = cast.nordby.client().get(f"/apis/v1/mass-sends/{mass_send_id}/items?limit=1").json()["items"][0]
    assert (receipt["messageId"], receipt["transmissionId"], receipt["replayed"]) == (
        str(first.pk), str(first.transmission_id), True)

