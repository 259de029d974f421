"""What is pushed to sender systems' endpoints: queued with each event, replayed on request, resumed.

`queue_event_pushes` runs inside `append_event` (the message row locked, the event just written), so the intent
to push commits with the event or not at all, and a message's pushes are numbered in the order of its events.
Each queued push gets an outbox job (PUSH_EVENTS) that wakes the endpoint's sender; the sender sends every
pending push of the endpoint in order and stops at the first failure (docs/decisions/0007-receipt-push-queue.md).
Not for: sending (delivery.channels.sender_push) or the endpoints' set-up (systems.services.push_endpoints).
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.receipt_push import PUSHED_KINDS, push_type
from digitalpost.core.roles import Actor
from digitalpost.messages.models import Event, EventPush, Message
from digitalpost.outbox.models import WorkKind
from digitalpost.outbox.services import add_job
from digitalpost.systems.models import SenderPushEndpoint
from digitalpost.systems.selectors import push_targets
from digitalpost.systems.services.push_endpoints import set_push_endpoint_active

REPLAY_LIMIT = 10_000  # events re-sent by one replay call; call again after the last one to go further


def wants(endpoint: SenderPushEndpoint, kind: str) -> bool:
    pushed = push_type(kind)
    return pushed is not None and (not endpoint.event_types or pushed in endpoint.event_types)


def wake(endpoint_id: uuid.UUID, push_id: int, *, why: str = "") -> None:
    """Queue a job that sends the endpoint's pending pushes up to and including `push_id` (caller's transaction).

    The job is done once that push went out; it never gives up (RetryLater), the endpoint's deactivation ends it.
    """
    tag = f":{why}-{uuid.uuid4().hex[:12]}" if why else ""
    add_job(WorkKind.PUSH_EVENTS, key=f"push:{endpoint_id}:{push_id}{tag}",
            payload={"endpoint": str(endpoint_id), "push": push_id})


def queue_event_pushes(message: Message, event: Event) -> None:
    """Queue `event` for every endpoint of the message's sender system that wants its type.

    In a group-commit batch the endpoints are read once per system (systems.selectors.push_targets), so many
    acceptances in one transaction pay one query per sender system, not one per event; the pushes are
    still created one by one, in the order of the events. A deactivated endpoint keeps its queue (nothing is
    lost) but is not woken: its reactivation resumes it.
    """
    queue_pushes_of_events([(message, event)])


def queue_pushes_of_events(appended: list[tuple[Message, Event]]) -> None:
    """`queue_event_pushes` for many events at once (their messages locked): one look-up of the endpoints per
    sender system, through the prepared statement of `push_targets` (the ORM's compiling of a look-up by a list of
    systems cost more than the look-up; a batch's events mostly come from one or a few systems)."""
    pushed = [(message.sender_system_id, event) for message, event in appended
              if message.sender_system_id is not None and event.kind in PUSHED_KINDS]
    if not pushed:
        return
    targets = {system: push_targets(system) for system in {system for system, _ in pushed}}
    for system, event in pushed:  # in the events' order, so each endpoint's rows keep it
        kind = push_type(event.kind)
        for target in targets[system]:
            if not target.event_types or kind in target.event_types:
                push = EventPush.objects.create(endpoint_id=target.id, event=event, created_at=event.at)
                if target.is_active:
                    wake(target.id, push.pk)


def pending_pushes(endpoint: SenderPushEndpoint, *, limit: int) -> list[EventPush]:
    """The endpoint's next pushes in the order they must go out."""
    return list(EventPush.objects.filter(endpoint=endpoint, pushed_at__isnull=True)
                .select_related("event__message").order_by("id")[:limit])


def mark_pushed(push: EventPush) -> None:
    """The endpoint answered 2xx for this push (inside the caller's transaction)."""
    EventPush.objects.filter(pk=push.pk, pushed_at__isnull=True).update(pushed_at=timezone.now())


def is_pushed(push_id: int) -> bool:
    """True when the push went out (or is gone with its endpoint): nothing left for its job to do."""
    return not EventPush.objects.filter(pk=push_id, pushed_at__isnull=True).exists()


@transaction.atomic(durable=True)
def replay_events(endpoint: SenderPushEndpoint, *, after: int) -> int:
    """Push again, in order, every event of the system's messages with an event id above `after`.

    Pushes still waiting above the cursor are dropped and queued again in event order, so nothing goes twice
    from one replay. Refused for a deactivated endpoint (reactivate it first). The number of events queued.
    """
    locked = SenderPushEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not locked.is_active:
        raise DigitalPostError(ErrorCode.PUSH_ENDPOINT_INACTIVE, str(locked.pk))
    EventPush.objects.filter(endpoint=locked, pushed_at__isnull=True, event_id__gt=after).delete()
    events = (Event.objects.filter(message__sender_system_id=locked.sender_system_id, id__gt=after,
                                   kind__in=list(PUSHED_KINDS))
              .select_related("message").order_by("id")[:REPLAY_LIMIT])
    now = timezone.now()
    rows = [EventPush(endpoint=locked, event=event, created_at=now) for event in events
            if wants(locked, event.kind)]
    if not rows:
        return 0
    for row in rows:
        row.save(force_insert=True)  # one by one: ids in event order on both databases
    wake(locked.pk, rows[-1].pk, why="replay")
    return len(rows)


@transaction.atomic(durable=True)
def reactivate_push_endpoint(endpoint: SenderPushEndpoint, *, actor: Actor) -> SenderPushEndpoint:
    """Take a deactivated endpoint back into use; what waited for it is pushed in order from where it stopped."""
    locked = set_push_endpoint_active(endpoint, is_active=True, actor=actor)
    last = EventPush.objects.filter(endpoint=locked, pushed_at__isnull=True).order_by("-id").first()
    if last is not None:
        wake(locked.pk, last.pk, why="resume")
    return locked


@transaction.atomic(durable=True)
def deactivate_push_endpoint(endpoint: SenderPushEndpoint, *, actor: Actor) -> SenderPushEndpoint:
    """Stop pushing to it for now; its events keep being queued and go out, in order, once it is reactivated."""
    return set_push_endpoint_active(endpoint, is_active=False, actor=actor)
