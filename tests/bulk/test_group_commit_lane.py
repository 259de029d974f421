"""With group commit on (as `digitalpost run` serves), a mass send's groups share the committer's transactions."""

from __future__ import annotations

from digitalpost.bulk.models import MassSendItem
from digitalpost.messages.models import Message
from digitalpost.outbox.models import Job, WorkKind
from helpers.bulk_archives import memo_files, post_archive, tar_lzma


def test_items_accepted_in_groups_keep_archive_order_and_one_message_each(tx_cast, settings):
    settings.DIGITALPOST_GROUP_COMMIT = True
    settings.DIGITALPOST_BULK_GROUP_ITEMS = 5
    files = memo_files([tx_cast.nordby.memo(tx_cast.anna, label=f"Brev {i}") for i in range(30)])
    files.insert(7, ("broken.xml", b"<nope/>"))
    first = post_archive(tx_cast.nordby, tar_lzma(files)).json()
    again = post_archive(tx_cast.nordby, tar_lzma(files)).json()
    assert (first["accepted"], first["refused"]) == (30, 1)
    assert (again["accepted"], again["replayed"], again["refused"]) == (0, 30, 1)
    rows = MassSendItem.objects.filter(mass_send_id=first["massSendId"]).order_by("position")
    assert [r.name for r in rows] == [name for name, _ in files]
    assert Message.objects.count() == 30
    assert Job.objects.filter(kind=WorkKind.DELIVER_BULK).count() == 30
