"""What the doctor reports: a finding names one thing wrong with one object, why it matters and how to fix it.

Findings are plain values shared by the pure checks (`doctor/checks`), the doctor app that stores them and
alerts on them, and every surface that shows them (CLI, portal, admin API). Not for: finding anything — that is
the checks' work — or storing and sending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How urgent a finding is; `rank` orders them (critical first) and decides the doctor's exit code."""

    CRITICAL = "critical"  # a citizen's message or an authority's reply is being lost, or will be within days
    WARNING = "warning"  # something will break, or upkeep is missing
    INFO = "info"  # worth knowing, nothing is lost

    @property
    def rank(self) -> int:
        return {Severity.CRITICAL: 2, Severity.WARNING: 1, Severity.INFO: 0}[self]


class SubjectKind(StrEnum):
    """The kinds of object a finding can be about; each has a page in the portal where it is fixed."""

    ORGANISATION = "organisation"
    CERTIFICATE = "certificate"
    SENDER_SYSTEM = "sender_system"
    SECURE_ADDRESS = "secure_address"
    RECEIVER_SYSTEM = "receiver_system"
    MAILBOX = "mailbox"
    MATERIAL = "material"
    SUBSCRIPTION_GROUP = "subscription_group"
    INQUIRY = "inquiry"  # a thread waiting for an answer


@dataclass(frozen=True, slots=True)
class Subject:
    """The exact object a finding is about: its kind, its id (a UUID or the CVR) and the name people know."""

    kind: SubjectKind
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with one object.

    `code` is stable (docs/runbooks/<code>.md explains it); `stage` says how far along a graded problem is
    (e.g. "30" days left, "expired") so that moving to a more urgent stage alerts again; `facts` carries the
    numbers behind the sentence (days left, counts) for JSON readers.
    """

    code: str
    severity: Severity
    subject: Subject
    why: str
    fix: str
    stage: str = ""
    facts: dict[str, str | int] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Identifies the same problem with the same object from one doctor run to the next."""
        return f"{self.code}:{self.subject.kind.value}:{self.subject.id}"


def worst(findings: list[Finding]) -> Severity | None:
    """The most urgent severity among `findings`; None when there are none."""
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)


def exit_code(findings: list[Finding]) -> int:
    """The doctor command's exit status: 2 on any critical finding, 1 on warnings, 0 otherwise."""
    top = worst(findings)
    if top is Severity.CRITICAL:
        return 2
    if top is Severity.WARNING:
        return 1
    return 0
