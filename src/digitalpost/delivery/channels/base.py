"""The Channel interface every way out of the hub implements: prepare what leaves, then send it and record it.

`prepare(item)` builds what leaves (a signed and encrypted mail, a signed HTTP request, the documents of a
mailbox delivery, a rendered letter) and holds no transaction, so slow work (crypto, PDF) never keeps a row
locked. `send(outgoing, job=…)` does the effect — the only step that talks to the outside — and then records it
through the messages lifecycle service, finishing the job in the same transaction. It answers `Sent`, or raises
the outbox worker's own `RetryLater` (wait and try again, nothing is lost) or `PermanentFailure` (dead letter):
only the channel knows which an error is. An outgoing item marked `probe` (the doctor's synthetic inquiry) is
sent the same way and never recorded. Not for: choosing the channel (delivery.forward, delivery.handlers) or
deciding whether a message may be sent at all (ingest, conversations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar

from digitalpost.outbox.models import Job
from digitalpost.outbox.worker import PermanentFailure, RetryLater

__all__ = ["PROBE_HEADER", "Channel", "ForwardPostponed", "PermanentFailure", "RetryLater", "Sent"]

# Marks the doctor's synthetic inquiry wherever it goes (mail header, HTTP header), so a receiver can drop it.
PROBE_HEADER = "X-DigitalPost-Probe"

ItemT = TypeVar("ItemT", contravariant=True)
OutgoingT = TypeVar("OutgoingT")


@dataclass(frozen=True)
class Sent:
    """What came of a send: the other side's answer ("250 …", "HTTP 202", "" when none) and whether the
    message's state changed now (False when it had been recorded before, and always for a probe)."""

    answer: str
    recorded: bool


class ForwardPostponed(RetryLater):
    """The inquiry cannot go yet (no receiver, receiver down); the job is retried later, nothing is lost.

    `answer` is what the receiver said when it refused ("550 5.1.1 user unknown", "HTTP 503"); empty when it
    did not answer at all (then the cause is the exception's `__cause__`). `shown`, when set, is all the
    organisation may see of a failure without an answer (REST push: nothing that maps the network); the reason
    keeps the detail for the operator.
    """

    def __init__(self, reason: str, *, answer: str = "", shown: str = "") -> None:
        super().__init__(reason)
        self.answer = answer
        self.shown = shown


class Channel(Protocol[ItemT, OutgoingT]):
    """One way out. `name` is what MESSAGE_DELIVERED's `channel` says."""

    name: str

    def prepare(self, item: ItemT, /) -> OutgoingT:
        """What leaves, built outside any transaction; raises RetryLater/PermanentFailure if it cannot be."""
        ...

    def send(self, outgoing: OutgoingT, /, *, job: Job | None = None) -> Sent:
        """The effect, then its record (lifecycle service, job finished); RetryLater/PermanentFailure if not."""
        ...
