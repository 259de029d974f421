"""Sender systems' receipt-push endpoints that do not take what the hub pushes them.

While an endpoint fails nothing is lost — the receipts and events wait in the hub, in order, and stay pullable
(GET /apis/v1/receipts) — but the authority's case system no longer learns that letters were delivered, read or
returned. After DIGITALPOST_RECEIVER_DEACTIVATE_AFTER_DAYS of failures the hub deactivates the endpoint, like a
receiver system. Not for: receiver systems (receivers.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from digitalpost.core.findings import Finding, Severity, Subject, SubjectKind
from digitalpost.doctor.checks.registry import register
from digitalpost.doctor.checks.snapshot import OrgSnapshot, PushEndpointInfo

FAILING_CRITICAL_AFTER = timedelta(days=1)
FIX = "Portal → Sender systems → the system → Receipt push"


def _subject(endpoint: PushEndpointInfo) -> Subject:
    return Subject(SubjectKind.SENDER_SYSTEM, endpoint.sender_system_id, endpoint.sender_system_name)


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _facts(endpoint: PushEndpointInfo) -> dict[str, str | int]:
    facts: dict[str, str | int] = {"endpoint": endpoint.id, "url": endpoint.url,
                                   "waitingPushes": endpoint.waiting_pushes, "lastError": endpoint.last_error}
    if endpoint.failing_since is not None:
        facts["failingSince"] = endpoint.failing_since.isoformat()
    if endpoint.last_error_at is not None:
        facts["lastErrorAt"] = endpoint.last_error_at.isoformat()
    if endpoint.deactivated_at is not None:
        facts["deactivatedAt"] = endpoint.deactivated_at.isoformat()
    return facts


def _waiting(endpoint: PushEndpointInfo) -> str:
    count = endpoint.waiting_pushes
    return f"{count} {'receipt or event waits' if count == 1 else 'receipts and events wait'} in the hub"


@register("sender.push.failing", "sender.push.deactivated")
def failing_push_endpoints(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    for endpoint in org.push_endpoints:
        last = f" The last error was: {endpoint.last_error}." if endpoint.last_error else ""
        if not endpoint.is_active:
            since = f" after failing since {_when(endpoint.failing_since)}" if endpoint.failing_since else ""
            when = f" on {_when(endpoint.deactivated_at)}" if endpoint.deactivated_at else ""
            yield Finding(
                code="sender.push.deactivated", severity=Severity.CRITICAL, subject=_subject(endpoint),
                stage="deactivated",
                why=(f"The receipt-push endpoint {endpoint.url} of sender system {endpoint.sender_system_name} was "
                     f"deactivated{when}{since}.{last} {_waiting(endpoint)}: the case system no longer learns "
                     "what happens to the letters it sent."),
                fix=(f"Repair the endpoint, then reactivate it under {FIX}; what waited is pushed in order. The "
                     "receipts can be pulled meanwhile (GET /apis/v1/receipts)."),
                facts=_facts(endpoint),
            )
        elif endpoint.failing_since is not None:
            failing_for = now - endpoint.failing_since
            yield Finding(
                code="sender.push.failing",
                severity=Severity.CRITICAL if failing_for >= FAILING_CRITICAL_AFTER else Severity.WARNING,
                subject=_subject(endpoint),
                why=(f"The receipt-push endpoint {endpoint.url} of sender system {endpoint.sender_system_name} has "
                     f"not taken pushes since {_when(endpoint.failing_since)}.{last} {_waiting(endpoint)}; if the "
                     "failures go on, the hub deactivates the endpoint."),
                fix=("Make the endpoint answer 2xx over HTTPS with a certificate the hub trusts (see the last "
                     f"error); the waiting pushes go out by themselves, in order. Check it under {FIX}."),
                facts=_facts(endpoint) | {"hoursFailing": int(failing_for.total_seconds() // 3600)},
            )
