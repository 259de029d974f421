"""The append-only, hash-chained timeline of a message.

Each event's hash covers its content and the hash before it, so editing or deleting any entry breaks
every hash after it; `verify_timeline` finds the first broken link. Appending must happen inside the
transaction that changes the message, with the message row locked, so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from digitalpost.core.lifecycle import EventKind
from digitalpost.hub.queries import PreparedIn, PreparedSelect
from digitalpost.hub.rows import insert, insert_many
from digitalpost.messages.models import Event, Message
from digitalpost.messages.services.pushes import queue_event_pushes, queue_pushes_of_events

GENESIS = "0" * 64


def event_hash(*, message_id: str, seq: int, kind: str, at: datetime, data: dict[str, Any], prev: str) -> str:
    body = json.dumps(
        {"message": message_id, "seq": seq, "kind": kind, "at": at.isoformat(), "data": data, "prev": prev},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


# The chain heads of a batch's messages (newest first per message), compiled once per length (decision 0025).
_HEADS = PreparedIn(lambda ids: PreparedSelect(Event.objects.filter(message__pk__in=ids).order_by("message_id", "-seq")
                                               .values_list("message_id", "seq", "hash")),
                    ids=Message._meta.pk)


def append_event(
    message: Message, kind: EventKind, *, at: datetime, data: dict[str, Any] | None = None, first: bool = False
) -> Event:
    """Append to the timeline; `first=True` for a message created in this transaction (nothing to look up)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_event() must run inside the transaction that changes the message")
    data = data or {}
    # The hash covers at.isoformat(), and the database gives the moment back in UTC: hash it as it will be read.
    at = at.astimezone(UTC)
    last = None if first else Event.objects.filter(message=message).order_by("-seq").values("seq", "hash").first()
    seq, prev = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS)
    event = insert(Event(
        message=message,
        seq=seq,
        kind=kind,
        at=at,
        data=data,
        prev_hash=prev,
        hash=event_hash(message_id=str(message.pk), seq=seq, kind=kind, at=at, data=data, prev=prev),
    ))
    # In the same transaction, so the push of a receipt or event commits with it, in the message's order.
    queue_event_pushes(message, event)
    return event


def opening_events(message: Message, entries: list[tuple[EventKind, dict[str, Any]]], *, at: datetime) -> list[Event]:
    """The first events of a message being created, unsaved: its chain from GENESIS, hashed as `append_event`
    hashes it. Built before the transaction that creates the message (a mass send's group, decision 0017), which
    writes them (hub.rows.insert_many) and queues their pushes (pushes.queue_pushes_of_events)."""
    at = at.astimezone(UTC)
    events, prev = [], GENESIS
    for seq, (kind, data) in enumerate(entries, start=1):
        event = Event(message=message, seq=seq, kind=kind, at=at, data=data, prev_hash=prev,
                      hash=event_hash(message_id=str(message.pk), seq=seq, kind=kind, at=at, data=data, prev=prev))
        events.append(event)
        prev = event.hash
    return events


def append_events(
    entries: list[tuple[Message, EventKind, dict[str, Any]]], *, at: datetime,
) -> list[Event]:
    """`append_event` for many messages at once (one event each): one read of their chain heads, one INSERT.

    The caller holds every message's row lock in this transaction, so no chain can fork; each hash is computed
    from its message's head exactly as `append_event` does, so `verify_timeline` cannot tell them apart.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_events() must run inside the transaction that changes the messages")
    if not entries:
        return []
    heads: dict[Any, tuple[int, str]] = {}
    # Newest first per message: the first row seen of each message is its head.
    for message_id, seq, hash_ in _HEADS.rows(ids=[message.pk for message, _, _ in entries]):
        heads.setdefault(message_id, (seq, hash_))
    events = []
    for message, kind, data in entries:
        last_seq, prev = heads.get(message.pk, (0, GENESIS))
        seq = last_seq + 1
        event = Event(message=message, seq=seq, kind=kind, at=at, data=data, prev_hash=prev,
                      hash=event_hash(message_id=str(message.pk), seq=seq, kind=kind, at=at, data=data, prev=prev))
        heads[message.pk] = (seq, event.hash)
        events.append(event)
    created = insert_many(events)
    queue_pushes_of_events([(message, event) for (message, _, _), event in zip(entries, created, strict=True)])
    return created


def verify_timeline(message: Message) -> int | None:
    """The seq of the first event whose hash or link is wrong, or None when the chain is intact."""
    prev = GENESIS
    expected_seq = 1
    for event in Event.objects.filter(message=message).order_by("seq"):
        recomputed = event_hash(
            message_id=str(message.pk), seq=event.seq, kind=event.kind, at=event.at, data=event.data, prev=prev
        )
        if event.seq != expected_seq or event.prev_hash != prev or event.hash != recomputed:
            return event.seq
        prev = event.hash
        expected_seq += 1
    return None
