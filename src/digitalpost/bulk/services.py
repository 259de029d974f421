"""Mass sends: read an archive of MeMo files in groups, accept each group's items together, with their receipts.

A mass send spans many transactions on purpose, one per group of DIGITALPOST_BULK_GROUP_ITEMS items (fewer once
they hold DIGITALPOST_BULK_GROUP_BYTES). Each item passes the rules of a single submission and gets its own
receipt (messages.services.group_ingest: a bad item is refused alone, never its group); the group's accepted
items, their item receipts and the progress counts commit together, their deliveries queued as
WorkKind.DELIVER_BULK and their received events naming the mass send (decision 0017). So a crash keeps every
group committed so far with its receipts, and a resubmitted archive only replays their receipts (same
messageUUID, same bytes). A damaged archive stops the reading, never what was accepted before. Not for: the
archive format (protocols.archive) or delivery (the DELIVER_BULK worker).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from digitalpost.bulk.models import MassSend, MassSendItem
from digitalpost.core.errors import ErrorCode
from digitalpost.core.errors import Outcome as RefusalOutcome
from digitalpost.core.kombi import Kombi
from digitalpost.core.lifecycle import ReceiptStatus
from digitalpost.hub.group_commit import commit_write
from digitalpost.hub.rows import insert_many
from digitalpost.messages.services.group_ingest import Outcome, Submission, accept_memos
from digitalpost.messages.services.ingest import Acceptance, MemoRefused, accept_memo
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
    members = archive.iter_members(source, max_item_bytes=settings.DIGITALPOST_BULK_MAX_ITEM_BYTES,
                                   chunk=settings.DIGITALPOST_BULK_READ_CHUNK)
    try:
        for group in _groups(members):
            _accept_group(system, mass, group, kombi, compressed=source.taken)
            del group  # the group's bytes go now, not when the next one has been read
    except archive.ArchiveDamaged as exc:
        log.warning("mass send %s: archive damaged: %s", mass.pk, exc)
        _record(mass, [], compressed=source.taken, state=MassSend.State.DAMAGED,
                error=MemoRefused(ErrorCode.ARCHIVE_DAMAGED, str(exc)))
    else:
        _record(mass, [], compressed=source.taken, state=MassSend.State.COMPLETED)
    mass.refresh_from_db()
    return mass


def _start(system: SenderSystem) -> MassSend:
    now = timezone.now()
    return commit_write(lambda: MassSend.objects.create(sender_system=system, started_at=now, updated_at=now))


def _groups(members: Iterator[archive.Member]) -> Iterator[list[archive.Member]]:
    """The archive's members in groups of DIGITALPOST_BULK_GROUP_ITEMS, or fewer once they hold
    DIGITALPOST_BULK_GROUP_BYTES; the members read before damage are a last group before the damage is raised."""
    group: list[archive.Member] = []
    size = 0
    try:
        for member in members:
            group.append(member)
            size += len(member.data or b"")
            if len(group) >= settings.DIGITALPOST_BULK_GROUP_ITEMS or size >= settings.DIGITALPOST_BULK_GROUP_BYTES:
                yield group
                group, size = [], 0
    except archive.ArchiveDamaged:
        if group:
            yield group
        raise
    if group:
        yield group


def _accept_group(system: SenderSystem, mass: MassSend, group: list[archive.Member], kombi: Kombi | None, *,
                  compressed: int) -> None:
    """The group's items accepted together, their receipts and the progress counts in the same commit.

    If the group cannot be recorded as a whole (a concurrent submission of one of its messageUUIDs), each item is
    accepted on its own with accept_memo, as before decision 0017, and the receipts follow in one commit.
    """
    items = [MassSendItem(mass_send=mass, position=m.position, name=m.name[:255], status="") for m in group]
    readable = [(item, member) for item, member in zip(items, group, strict=True) if member.data is not None]
    for item, member in zip(items, group, strict=True):
        if member.data is None:
            _refuse(item, _too_large(member), message_uuid=None)
            item.created_at = timezone.now()
    submissions = [Submission(body=member.data, received=_received(mass, member))
                   for _, member in readable if member.data is not None]

    def on_recorded(outcomes: list[Outcome]) -> None:
        for (item, member), outcome in zip(readable, outcomes, strict=True):
            _receipt(item, outcome, mass=mass, member=member)
        _progress(mass, items, compressed=compressed)()

    try:
        accept_memos(system=system, submissions=submissions, kombi=kombi, deliver_kind=WorkKind.DELIVER_BULK,
                     on_recorded=on_recorded)
    except Exception:
        log.warning("mass send %s: the group from item %d could not be recorded together; accepting its %d items "
                    "one by one", mass.pk, group[0].position, len(group), exc_info=True)
        _record(mass, [_accept_item(system, mass, member, kombi) for member in group], compressed=compressed)


def _received(mass: MassSend, member: archive.Member) -> dict[str, str]:
    """What the item's MESSAGE_RECEIVED event says about where it came from."""
    return {"massSend": str(mass.pk), "massSendItem": str(member.position)}


def _too_large(member: archive.Member) -> MemoRefused:
    limit = settings.DIGITALPOST_BULK_MAX_ITEM_BYTES
    return MemoRefused(ErrorCode.MEMO_TOO_LARGE, f"{member.size} bytes, at most {limit} per item")


def _receipt(item: MassSendItem, outcome: Outcome, *, mass: MassSend, member: archive.Member) -> None:
    """The item's receipt from its outcome in the group: accepted, replayed or refused with its own code."""
    if isinstance(outcome, Acceptance):
        item.message_id = outcome.message.pk
        item.message_uuid = str(outcome.message.message_uuid)
        item.status = ReceiptStatus.RECEIVED
        item.is_replay = outcome.replayed
    elif isinstance(outcome, MemoRefused):
        _refuse(item, outcome, message_uuid=outcome.message_uuid)
    else:  # one broken item must not end the mass send; it gets internal.error
        log.error("mass send %s: item %d (%s) failed", mass.pk, member.position, member.name, exc_info=outcome)
        _refuse(item, MemoRefused(ErrorCode.INTERNAL_ERROR), message_uuid=None)
    item.created_at = timezone.now()


def _accept_item(system: SenderSystem, mass: MassSend, member: archive.Member, kombi: Kombi | None) -> MassSendItem:
    """One member's receipt, accepted on its own (a group that could not be recorded together)."""
    item = MassSendItem(mass_send=mass, position=member.position, name=member.name[:255], status="")
    try:
        if member.data is None:
            raise _too_large(member)
        outcome = accept_memo(system=system, body=member.data, kombi=kombi, deliver_kind=WorkKind.DELIVER_BULK,
                              received=_received(mass, member))
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
    item.status = ReceiptStatus.NOT_ALLOWED if exc.spec.outcome == RefusalOutcome.NOT_ALLOWED else ReceiptStatus.INVALID
    item.error_code = str(exc.code)
    item.error_message = exc.text
    item.message_uuid = (message_uuid or "")[:36]


def _record(mass: MassSend, items: list[MassSendItem], *, compressed: int, state: str | None = None,
            error: MemoRefused | None = None) -> None:
    """Item receipts and progress counts in one commit of their own; with `state`, the mass send's end."""
    commit_write(_progress(mass, items, compressed=compressed, state=state, error=error))


def _progress(mass: MassSend, items: list[MassSendItem], *, compressed: int, state: str | None = None,
              error: MemoRefused | None = None) -> Callable[[], None]:
    """The writes of item receipts and progress counts, to run inside a transaction (a group's, or their own)."""
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
        insert_many(items)
        MassSend.objects.filter(pk=mass.pk).update(**changes)

    return write
