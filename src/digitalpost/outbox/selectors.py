"""Reading the work table: how much waits per kind and for how long (operations and readiness)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min
from django.utils import timezone

from digitalpost.outbox.models import Job, WorkKind


@dataclass(frozen=True)
class QueueState:
    kind: WorkKind
    pending: int  # waiting or in hand
    due: int  # waiting now (not scheduled for later, not claimed)
    oldest_due_seconds: float  # how long the oldest waiting job has been due; 0 when none


def queue_states(now: datetime | None = None) -> list[QueueState]:
    """One entry per work kind, zeros included, so a dashboard never loses a line."""
    now = now or timezone.now()
    pending = dict(Job.objects.filter(state=Job.State.PENDING).values("kind").annotate(n=Count("id"))
                   .values_list("kind", "n"))
    due: dict[str, tuple[int, datetime]] = {
        kind: (count, oldest)
        for kind, count, oldest in Job.objects.filter(state=Job.State.PENDING, run_after__lte=now)
        .values("kind").annotate(n=Count("id"), oldest=Min("run_after")).values_list("kind", "n", "oldest")
    }
    states = []
    for kind in WorkKind:
        count, oldest = due.get(kind.value, (0, now))
        states.append(QueueState(kind=kind, pending=pending.get(kind.value, 0), due=count,
                                 oldest_due_seconds=max((now - oldest).total_seconds(), 0.0)))
    return states
