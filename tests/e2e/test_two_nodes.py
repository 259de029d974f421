"""Two whole nodes on one PostgreSQL and one S3 store; one is killed with SIGKILL in the middle of a load.

Each node is a `digitalpost run` process tree (web, workers, the doctor's scheduler, the print pass) with its own
DIGITALPOST_VAR and node name, as on two hosts. Sender systems post MeMos to both nodes' web ports — letters to
Anna's web mailbox and letters to exempt Bent that go to print — and, like a real client, post again with the same
messageUUID to the other node when a node does not answer. The node leading the scheduler is frozen and killed
while its workers hold claims. Then: every acknowledged message is delivered exactly once and within 30 s of the
kill (the dead node's claims are taken over through its stale heartbeat, decision 0006), every document is
readable from the object store, every letter is in exactly one print batch, and the scheduler's passes never
overlapped.
"""

from __future__ import annotations

import hashlib
import http.client
import itertools
import json
import secrets
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from digitalpost.blobstore.sealing import MasterKeys
from digitalpost.core.lifecycle import EventKind
from digitalpost.doctor.models import SchedulerPass
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Document, Event, Message, Receipt
from digitalpost.outbox.models import Job, WorkerPresence
from digitalpost.printing.models import PrintBatch, PrintLetter
from digitalpost.protocols import memo
from helpers.kombipost import a4_pdf
from helpers.nodes import Node, node_env, running_nodes

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

TO_MAILBOX = 60  # letters to Anna's web mailbox
TO_PRINT = 12  # letters to exempt Bent, printed
KILL_AFTER = 0.5  # share of the load acknowledged before the kill
TAKEOVER_BAR = timedelta(seconds=30)  # issue 16: every acknowledged message delivered within 30 s of the kill
WAIT = 90.0  # how long the test waits for the survivor before it gives up (far above the bar: it reports, not hangs)


@dataclass
class Posted:
    message_uuid: str
    printed: bool
    body: bytes
    acknowledged: bool = False
    tries: int = 0


def post_memo(port: int, token: str, posted: Posted) -> int | None:
    """POST the MeMo to one node; its HTTP status, or None when the node did not answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request("POST", f"/apis/v1/memos?memo-message-uuid={posted.message_uuid}", body=posted.body,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"})
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


class Load:
    """Senders posting to whichever nodes are alive, round robin; a node that does not answer gets the same MeMo
    (same messageUUID) posted to the next one, as a sender system behind a load balancer would see it."""

    def __init__(self, nodes: list[Node], token: str, items: list[Posted]) -> None:
        self.alive = list(nodes)
        self.token = token
        self.items = items
        self.turn = itertools.count()
        self.lock = threading.Lock()

    def send(self, posted: Posted) -> None:
        while posted.tries < 6:
            with self.lock:
                target = self.alive[next(self.turn) % len(self.alive)]
            posted.tries += 1
            status = post_memo(target.port, self.token, posted)
            if status in (200, 201):
                posted.acknowledged = True
                return
            assert status is None, f"node {target.name} answered {status} for {posted.message_uuid}"

    def acknowledged(self) -> int:
        return sum(p.acknowledged for p in self.items)


def build_load(cast) -> list[Posted]:
    items = []
    for n in range(TO_MAILBOX + TO_PRINT):
        printed = n % ((TO_MAILBOX + TO_PRINT) // TO_PRINT) == 0
        recipient = cast.bent if printed else cast.anna
        message = cast.nordby.memo(recipient, label=f"Brev {n}",
                                   files=[("brev.pdf", "application/pdf", a4_pdf(f"Afgørelse nummer {n}"))])
        items.append(Posted(message.header.message_uuid, printed, memo.build(message)))
    assert sum(p.printed for p in items) == TO_PRINT
    return items


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def wait_for(condition, what: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.1)


def claims_held_by(node: Node) -> list[int]:
    workers = WorkerPresence.objects.filter(host=node.name).values_list("pk", flat=True)
    return list(Job.objects.filter(state=Job.State.PENDING, claimed_by__in=list(workers)).values_list("pk", flat=True))


def kill_holding_claims(node: Node, *, timeout: float = 20.0) -> tuple[datetime, list[int]]:
    """Freeze the node until it is caught holding claims, then SIGKILL every process of it; (kill time, claims)."""
    deadline = time.monotonic() + timeout
    while True:
        node.signal_tree(signal.SIGSTOP)
        held = claims_held_by(node)
        if held or time.monotonic() > deadline:
            killed_at = timezone.now()
            node.kill()
            return killed_at, held
        node.signal_tree(signal.SIGCONT)
        time.sleep(0.02)


def done(items: list[Posted]) -> bool:
    uuids = [p.message_uuid for p in items if p.acknowledged]
    mailbox = Message.objects.filter(message_uuid__in=uuids, channel="DIGITAL", state=Message.State.DELIVERED)
    printed = PrintLetter.objects.filter(message__message_uuid__in=uuids, batch__handed_over_at__isnull=False)
    return mailbox.count() + printed.count() == len(uuids)


def spool_manifests(spool: Path) -> list[dict]:
    """Every batch the provider has, each letter's PDF checked against the manifest's hash."""
    manifests = []
    for folder in sorted(spool.iterdir()):
        if folder.is_dir() and not folder.name.startswith(".") and folder.name != "receipts":
            manifest = json.loads((folder / "manifest.json").read_text())
            for entry in manifest["letters"]:
                assert hashlib.sha256((folder / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
            manifests.append(manifest)
    return manifests


def test_two_nodes_lose_nothing_when_one_is_killed_mid_run(tx_cast, s3_hub, settings, tmp_path):
    settings.DIGITALPOST_BLOB_KEYS = f"k1:{MasterKeys.generate_material()}"
    blob_store.cache_clear()
    spool = tmp_path / "print-spool"  # the print provider's share, the same for every node
    shared = {
        **s3_hub.environment(settings.DIGITALPOST_S3_PREFIX),
        "DIGITALPOST_BLOB_KEYS": settings.DIGITALPOST_BLOB_KEYS,
        "DIGITALPOST_SECRET_KEY": secrets.token_urlsafe(50),
        "DIGITALPOST_PRINT_SPOOL": str(spool),
        "DIGITALPOST_PRINT_EVERY_MINUTES": "0.05",  # a print pass every 3 s
        "DIGITALPOST_DOCTOR_EVERY_MINUTES": "0.02",  # a scheduler pass every 1.2 s: a double leader would show
    }
    specs = [(name, tmp_path / name, node_env(name, tmp_path / name, database_url=database_url(), shared=shared))
             for name in ("node-a", "node-b")]
    items = build_load(tx_cast)

    with running_nodes(specs, "--no-smtp", "--web-workers", "1", "--web-threads", "4") as nodes:
        wait_for(SchedulerPass.objects.exists, "a scheduler leads", timeout=30)
        leader = SchedulerPass.objects.earliest("started_at").node
        victim, survivor = sorted(nodes, key=lambda node: node.name != leader)
        load = Load(nodes, tx_cast.nordby.token, items)
        with ThreadPoolExecutor(4) as senders:
            sending = [senders.submit(load.send, posted) for posted in items]
            wait_for(lambda: load.acknowledged() >= KILL_AFTER * len(items), "the first part of the load",
                     timeout=60)
            killed_at, held = kill_holding_claims(victim)
            with load.lock:
                load.alive.remove(victim)
            for future in sending:
                future.result()
        wait_for(lambda: done(items), "every acknowledged message delivered or printed", timeout=WAIT)
        wait_for(lambda: SchedulerPass.objects.filter(node=survivor.name).exists(), "the survivor's scheduler leads",
                 timeout=30)

    # Every MeMo was acknowledged (by one node or the other), and the hub holds exactly those messages.
    assert all(p.acknowledged for p in items)
    uuids = {p.message_uuid for p in items}
    messages = Message.objects.filter(authority=tx_cast.nordby.authority)
    assert {str(u) for u in messages.values_list("message_uuid", flat=True)} == uuids
    assert held, "the killed node held no claims: the takeover was not tested"
    assert Job.objects.filter(pk__in=held, state=Job.State.DONE).count() == len(held)

    # Delivered exactly once: one delivery event and one completed receipt per mailbox letter.
    to_mailbox = messages.filter(channel="DIGITAL")
    assert to_mailbox.count() == TO_MAILBOX
    assert set(to_mailbox.values_list("state", flat=True)) == {Message.State.DELIVERED}
    delivered_events = Counter(Event.objects.filter(message__in=to_mailbox, kind=EventKind.MESSAGE_DELIVERED)
                               .values_list("message_id", flat=True))
    assert sorted(delivered_events.values()) == [1] * TO_MAILBOX
    assert Receipt.objects.filter(message__in=to_mailbox, status="COMPLETED").count() == TO_MAILBOX

    # One print batch per letter: one batching event each, and each letter in exactly one batch the provider has.
    letters = PrintLetter.objects.filter(message__authority=tx_cast.nordby.authority).select_related("batch")
    assert letters.count() == TO_PRINT == messages.filter(channel="PRINT").count()
    batched_events = Counter(Event.objects.filter(message__channel="PRINT", kind=EventKind.LETTER_BATCHED)
                             .values_list("message_id", flat=True))
    assert sorted(batched_events.values()) == [1] * TO_PRINT
    manifests = spool_manifests(spool)
    in_spool = Counter(entry["letterId"] for m in manifests for entry in m["letters"])
    assert in_spool == {str(letter.pk): 1 for letter in letters}
    assert len(manifests) == PrintBatch.objects.count()

    # Within 30 s of the kill: the last delivery and the last batch handed over.
    finished = [*to_mailbox.values_list("delivered_at", flat=True),
                *(letter.batch.handed_over_at for letter in letters)]
    assert max(finished) - killed_at <= TAKEOVER_BAR, f"last one done {max(finished) - killed_at} after the kill"

    # No document lost: every MeMo, document and rendered letter reads back whole from the object store.
    store = blob_store()
    keys = {*messages.values_list("memo_blob", flat=True), *Document.objects.filter(message__in=messages)
            .values_list("blob", flat=True), *letters.values_list("pdf_blob", flat=True)}
    assert not messages.filter(pending_memo__isnull=False).exists()
    assert len(keys) >= len(items) * 2
    for key in keys:
        assert hashlib.sha256(store.read(key)).hexdigest() == key

    # The scheduler never ran twice at once: the victim's passes, then the survivor's, none overlapping.
    passes = list(SchedulerPass.objects.order_by("started_at"))
    nodes_in_order = [run.node for run in passes]
    switch = nodes_in_order.index(survivor.name)
    assert set(nodes_in_order[:switch]) == {victim.name}
    assert set(nodes_in_order[switch:]) == {survivor.name}
    assert passes[switch].started_at >= killed_at
    for earlier, later in itertools.pairwise(passes):
        if earlier.finished_at is None:  # the pass the kill cut short
            assert earlier.node == victim.name
            assert later.started_at >= killed_at
        else:
            assert earlier.finished_at <= later.started_at
