"""Inquiries left unanswered past the organisation's reply deadline, counted in Danish working days.

One finding per mailbox (how many, the oldest, the first few conversations), not one per conversation: a
backlog of fifty is one problem for the people behind that mailbox, and fifty alerts would bury it. A
conversation counts when its latest inquiries from the citizen or company have no later reply and nobody
marked it handled. Not for: whether inquiries reach the organisation at all (receivers.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from digitalpost.core.findings import Finding, Severity, Subject, SubjectKind
from digitalpost.core.workdays import add_working_days, working_days_between
from digitalpost.doctor.checks.registry import register
from digitalpost.doctor.checks.snapshot import OrgSnapshot, WaitingInquiry

DENMARK = ZoneInfo("Europe/Copenhagen")  # deadlines are counted in the days the organisation works
LISTED_THREADS = 5  # conversation ids in the facts: the oldest few, where to start


def local_day(moment: datetime) -> date:
    return moment.astimezone(DENMARK).date()


def due_on(received_at: datetime, deadline_days: int) -> date:
    """The last day an answer is in time: `deadline_days` working days after the day it was received."""
    return add_working_days(local_day(received_at), deadline_days)


def is_late(inquiry: WaitingInquiry, deadline_days: int, now: datetime) -> bool:
    """Late from the day after the last day in time (a Saturday after a Friday deadline included)."""
    return local_day(now) > due_on(inquiry.received_at, deadline_days)


def overdue_days(inquiry: WaitingInquiry, deadline_days: int, now: datetime) -> int:
    """Working days past the deadline (0 while it is still in time, and on a weekend right after it)."""
    return working_days_between(due_on(inquiry.received_at, deadline_days), local_day(now))


@register("inquiry.unanswered")
def unanswered_inquiries(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    deadline = org.reply_deadline_days
    late: dict[str, list[WaitingInquiry]] = defaultdict(list)
    for inquiry in org.waiting_inquiries:
        if is_late(inquiry, deadline, now):
            late[inquiry.mailbox_id].append(inquiry)
    for mailbox_id, inquiries in late.items():
        inquiries.sort(key=lambda i: (i.received_at, i.thread_id))
        oldest = inquiries[0]
        mailbox = org.mailbox(mailbox_id)
        name = mailbox.name if mailbox is not None else mailbox_id
        overdue = overdue_days(oldest, deadline, now)
        due = due_on(oldest.received_at, deadline)
        count = len(inquiries)
        yield Finding(
            code="inquiry.unanswered",
            # Waiting twice the deadline is no longer a slow answer but a forgotten one.
            severity=Severity.CRITICAL if overdue >= deadline else Severity.WARNING,
            subject=Subject(SubjectKind.MAILBOX, mailbox_id, name),
            why=(f"{count} {'conversation' if count == 1 else 'conversations'} in “{name}” "
                 f"{'has' if count == 1 else 'have'} waited for an answer longer than the organisation's deadline "
                 f"of {deadline} working days; the oldest (“{oldest.subject}”) was received on "
                 f"{local_day(oldest.received_at):%Y-%m-%d} and should have been answered by {due:%Y-%m-%d}. "
                 "Citizens are left without an answer."),
            fix=("Open Portal → Inquiries, filter on the mailbox, and answer the oldest conversations first (or mark "
                 "them handled if they were answered another way, e.g. by letter or phone)."),
            facts={"count": count, "oldestReceivedAt": oldest.received_at.isoformat(),
                   "oldestThread": oldest.thread_id, "dueOn": due.isoformat(),
                   "overdueWorkingDays": overdue, "deadlineDays": deadline,
                   "threads": ",".join(i.thread_id for i in inquiries[:LISTED_THREADS])},
        )
