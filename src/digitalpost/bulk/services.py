"""Mass sends: read an archive of MeMo files item by item, accept each on its own, record receipts and progress.

A mass send spans many transactions on purpose. Each item is accepted and made durable on its own by
`accept_memo` (its delivery queued as WorkKind.DELIVER_BULK, its received event naming the mass send), so a
crash keeps every item accepted so far and a resubmitted archive only replays their receipts (same
messageUUID, same bytes). Item receipts and the progress counts are written in batches of
DIGITALPOST_BULK_PROGRESS_ITEMS: items accepted just before a crash may lack their item row in the crashed
mass send, never their message, and get it in the resubmission. A damaged archive stops the reading, never
what was accepted before. Not for: the archive format (protocols.archive) or delivery (the DELIVER_BULK worker).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from digitalpost.bulk.models import MassSend, MassSendItem
from digitalpost.core.errors import ErrorCode, Outcome
from digitalpost.core.kombi import Kombi
from digitalpost.core.lifecycle import ReceiptStatus
from digitalpost.hub.group_commit import commit_write
from digitalpost.messages.services.ingest import MemoRefused, accept_memo
from digitalpost.outbox.models import WorkKind
from digitalpost.protocols import archive
from digitalpost.systems.models import SenderSystem

log = logging.getLogger(__name__)

ACCEPTED, REPLAYED, REFUSED = "accepted", "replayed", "refused"


@dataclass
class _Counted:
    """`read` that counts the compressed bytes taken from the request."""

    read: Callable[[int], bytes]
    taken: int = 0

    def __call__(self, size: int) -> bytes:
        data = self.read(size)
        self.taken += len(data)
        return data


def send_mass(*, system: SenderSystem, read: Callable[[int], bytes], kombi: Kombi | None = None) -> MassSend:
    """Read the archive behind `read` to its end (or its damage) and accept every item; the finished mass send."""
    mass = _start(system)
    source = _Counted(read)
    batch: list[MassSendItem] = []
    members = archive.iter_members(source, max_item_bytes=settings.DIGITALPOST_BULK_MAX_ITEM_BYTES,
                                   chunk=settings.DIGITALPOST_BULK_READ_CHUNK)
    try:
        for item in _accept_all(system, mass, members, kombi):
            batch.append(item)
            if len(batch) >= settings.DIGITALPOST_BULK_PROGRESS_ITEMS:
                _record(mass, batch, compressed=source.taken)
                batch = []
    except archive.ArchiveDamaged as exc:
        log.warning("mass send %s: archive damaged: %s", mass.pk, exc)
        _record(mass, batch, compressed=source.taken, state=MassSend.State.DAMAGED,
                error=MemoRefused(ErrorCode.ARCHIVE_DAMAGED, str(exc)))
    else:
        _record(mass, batch, compressed=source.taken, state=MassSend.State.COMPLETED)
    mass.refresh_from_db()
    return mass


def _start(system: SenderSystem) -> MassSend:
    now = timezone.now()
    return commit_write(lambda: MassSend.objects.create(sender_system=system, started_at=now, updated_at=now))


def _accept_all(system: SenderSystem, mass: MassSend, members: Iterator[archive.Member],
                kombi: Kombi | None) -> Iterator[MassSendItem]:
    """Item receipts in archive order. With group commit on, several items are accepted at once (each still
    on its own, in its own savepoint), so one commit makes many durable; at most 2 × parallel items in memory."""
    parallel = settings.DIGITALPOST_BULK_PARALLEL if getattr(settings, "DIGITALPOST_GROUP_COMMIT", False) else 1
    if parallel <= 1:
        for member in members:
            yield _accept_item(system, mass, member, kombi)
            del member  # the item's bytes go now, not when the next one has been read
        return
    window: deque[Future[MassSendItem]] = deque()
    with ThreadPoolExecutor(parallel, thread_name_prefix="mass-send") as pool:
        try:
            for member in members:
                window.append(pool.submit(_accept_item, system, mass, member, kombi))
                del member
                if len(window) >= 2 * parallel:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        except archive.ArchiveDamaged:
            # The items handed over before the damage are being accepted: they get their receipts too.
            while window:
                yield window.popleft().result()
            raise
        finally:
            wait(window)
            _close_connections(pool, parallel)


def _close_connections(pool: ThreadPoolExecutor, parallel: int) -> None:
    """Each pool thread gives its database connection back (one task per thread, held by a barrier)."""
    barrier = threading.Barrier(parallel, timeout=30)

    def close() -> None:
        connection.close()
        barrier.wait()

    for future in [pool.submit(close) for _ in range(parallel)]:
        future.result()


def _accept_item(system: SenderSystem, mass: MassSend, member: archive.Member, kombi: Kombi | None) -> MassSendItem:
    """One member's receipt: a refused item never stops the rest."""
    item = MassSendItem(mass_send=mass, position=member.position, name=member.name[:255], status="")
    try:
        if member.data is None:
            limit = settings.DIGITALPOST_BULK_MAX_ITEM_BYTES
            raise MemoRefused(ErrorCode.MEMO_TOO_LARGE, f"{member.size} bytes, at most {limit} per item")
        outcome = accept_memo(
            system=system, body=member.data, kombi=kombi, deliver_kind=WorkKind.DELIVER_BULK,
            received={"massSend": str(mass.pk), "massSendItem": str(member.position)},
        )
    except MemoRefused as exc:
        _refuse(item, exc, message_uuid=exc.message_uuid)
    except Exception:  # one broken item must not end the mass send; it gets internal.error
        log.exception("mass send %s: item %d (%s) failed", mass.pk, member.position, member.name)
        _refuse(item, MemoRefused(ErrorCode.INTERNAL_ERROR), message_uuid=None)
    else:
        item.message_id = outcome.message.pk
        item.message_uuid = str(outcome.message.message_uuid)
        item.status = ReceiptStatus.RECEIVED
        item.is_replay = outcome.replayed
    item.created_at = timezone.now()
    return item


def _refuse(item: MassSendItem, exc: MemoRefused, *, message_uuid: str | None) -> None:
    item.status = ReceiptStatus.NOT_ALLOWED if exc.spec.outcome == Outcome.NOT_ALLOWED else ReceiptStatus.INVALID
    item.error_code = str(exc.code)
    item.error_message = exc.text
    item.message_uuid = (message_uuid or "")[:36]


def _record(mass: MassSend, items: list[MassSendItem], *, compressed: int, state: str | None = None,
            error: MemoRefused | None = None) -> None:
    """Item receipts and progress counts in one commit; with `state`, the mass send's end."""
    counts = Counter(REFUSED if i.message_id is None else REPLAYED if i.is_replay else ACCEPTED for i in items)
    now = timezone.now()
    changes: dict[str, object] = {
        "items": F("items") + len(items), "accepted": F("accepted") + counts[ACCEPTED],
        "replayed": F("replayed") + counts[REPLAYED], "refused": F("refused") + counts[REFUSED],
        "compressed_bytes": compressed, "updated_at": now,
    }
    if state is not None:
        changes |= {"state": state, "finished_at": now}
    if error is not None:
        changes |= {"error_code": str(error.code), "error_message": error.text}

    def write() -> None:
        MassSendItem.objects.bulk_create(items)
        MassSend.objects.filter(pk=mass.pk).update(**changes)

    commit_write(write)
