"""kill -9 the mass-send worker (DELIVER_BULK) mid-batch, again and again: every item of a mass send is delivered
exactly once — one set of documents, one search entry, one COMPLETED receipt — and every timeline stays chained."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from digitalpost.core.lifecycle import EventKind
from digitalpost.filing.models import SearchEntry
from digitalpost.messages.models import Document, Event, Message, Receipt
from digitalpost.messages.services.events import verify_timeline
from digitalpost.outbox.models import Job, WorkKind
from helpers.bulk_archives import memo_files, post_archive, tar_lzma
from helpers.worker_processes import kill_while_working, worker_env

pytestmark = pytest.mark.slow
ITEMS = 100
BATCH = 20  # the worker is killed after about every batch
# A worker that starts on a machine at a load average of 15 takes seconds; a safety net, not a figure.
DEADLINE_SECONDS = 600


def start_bulk_worker(env: dict[str, str]) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "digitalpost"
    return subprocess.Popen([str(exe), "worker", "--kinds", "DELIVER_BULK", "--lease-seconds", "1"],
                            env=env | {"DIGITALPOST_BULK_DELIVER_BATCH": str(BATCH)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def delivered() -> int:
    return Message.objects.filter(state=Message.State.DELIVERED).count()


def test_bulk_worker_killed_mid_batch_loses_and_duplicates_nothing(tx_cast, settings):
    files = memo_files([tx_cast.nordby.memo(tx_cast.anna, label=f"Skat {i}") for i in range(ITEMS)])
    answer = post_archive(tx_cast.nordby, tar_lzma(files))
    assert answer.status_code == 201, answer.content
    assert Job.objects.filter(kind=WorkKind.DELIVER_BULK, state=Job.State.PENDING).count() == ITEMS

    kills = kill_while_working(lambda: start_bulk_worker(worker_env(settings)), delivered, goal=ITEMS, step=BATCH,
                               pending=Job.objects.filter(state=Job.State.PENDING,
                                                          kind=WorkKind.DELIVER_BULK).exists,
                               deadline=time.monotonic() + DEADLINE_SECONDS)

    assert not Job.objects.filter(state=Job.State.PENDING, kind=WorkKind.DELIVER_BULK).exists(), "deadline passed"
    assert kills >= 3
    assert delivered() == ITEMS
    assert Job.objects.filter(kind=WorkKind.DELIVER_BULK, state=Job.State.DONE).count() == ITEMS
    assert Event.objects.filter(kind=EventKind.MESSAGE_DELIVERED).count() == ITEMS
    assert Receipt.objects.filter(status="COMPLETED").count() == ITEMS
    assert SearchEntry.objects.count() == ITEMS
    messages = list(Message.objects.all())
    assert {Document.objects.filter(message=m).count() for m in messages} == {1}
    assert all(m.pending_memo is None for m in messages)
    assert [m.pk for m in messages if verify_timeline(m) is not None] == []
