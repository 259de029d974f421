"""Reply statistics read from the database: a handful of queries per page, whatever the number of inquiries.

For a period it reads three row sets — inquiries received (messages from the party in a thread of a mailbox,
accepted in the period), the authority's replies in those threads (accepted since the period began, up to
now), and the replies the hub refused in the period — plus the mailboxes and organisations to name, and hands
them to figures.py. Callers pass an organisation they entered through `access_organisation` (portal, admin
API) or are a platform operator (`list_platform_statistics`). Not for: writing anything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.messages.models import Message, RefusedReply
from digitalpost.messages.services.mail_letters import CHANNEL as LETTER_CHANNEL
from digitalpost.stats.figures import (
    Bucket,
    Figures,
    InquiryRow,
    Outcome,
    Period,
    RefusalRow,
    ReplyRow,
    Week,
    answer_outcomes,
    by_mailbox,
    distribution,
    summarise,
    weekly,
)


@dataclass(frozen=True)
class MailboxStatistics:
    id: str
    name: str  # "Parent › Child" for a sub-mailbox
    is_open: bool
    figures: Figures


@dataclass(frozen=True)
class OrganisationStatistics:
    cvr: str
    name: str
    period: Period
    deadline_days: int  # working days
    computed_at: datetime  # "as of": unanswered past deadline is counted at this moment
    total: Figures
    mailboxes: list[MailboxStatistics]
    weeks: list[Week]
    buckets: list[Bucket]


@dataclass(frozen=True)
class OrganisationRow:
    cvr: str
    name: str
    deadline_days: int
    figures: Figures


@dataclass(frozen=True)
class PlatformStatistics:
    period: Period
    computed_at: datetime
    organisations: list[OrganisationRow]
    total: Figures


@dataclass(frozen=True)
class _Rows:
    inquiries: dict[str, list[InquiryRow]]  # by authority id
    replies: dict[str, list[ReplyRow]]  # by authority id
    refusals: dict[str, list[RefusalRow]]  # by authority id


def _read_rows(period: Period, now: datetime, authority: Authority | None) -> _Rows:
    """Three queries: inquiries in the period, replies in their threads, refusals in the period."""
    start, end = period.bounds(timezone.get_default_timezone())
    inquiries: QuerySet[Message] = Message.objects.filter(
        direction=Message.Direction.TO_AUTHORITY, thread__isnull=False, accepted_at__gte=start, accepted_at__lt=end)
    # Refused replies only: letters started by secure mail and refused are the doctor's (letter.refused).
    refusals: QuerySet[RefusedReply] = RefusedReply.objects.filter(
        received_at__gte=start, received_at__lt=end).exclude(channel=LETTER_CHANNEL)
    if authority is not None:
        inquiries = inquiries.filter(thread__authority=authority)
        refusals = refusals.filter(authority=authority)
    else:
        refusals = refusals.filter(authority__isnull=False)
    replies = Message.objects.filter(
        direction=Message.Direction.TO_PARTY, accepted_at__gte=start, accepted_at__lte=now,
        thread_id__in=inquiries.values("thread_id"),
    ).exclude(state=Message.State.RECALLED)  # a recalled reply never reached the citizen: not an answer
    by_authority: dict[str, list[InquiryRow]] = defaultdict(list)
    for thread_id, mailbox_id, authority_id, accepted_at in inquiries.values_list(
            "thread_id", "thread__authority_mailbox_id", "thread__authority_id", "accepted_at").iterator():
        by_authority[str(authority_id)].append(
            InquiryRow(thread_id=str(thread_id), mailbox_id=str(mailbox_id), received_at=accepted_at))
    refused: dict[str, list[RefusalRow]] = defaultdict(list)
    for code, mailbox_id, authority_id, received_at in refusals.values_list(
            "code", "thread__authority_mailbox_id", "authority_id", "received_at").iterator():
        refused[str(authority_id)].append(
            RefusalRow(code=code, mailbox_id=str(mailbox_id or ""), received_at=received_at))
    answers: dict[str, list[ReplyRow]] = defaultdict(list)
    for thread_id, authority_id, accepted_at in replies.values_list(
            "thread_id", "thread__authority_id", "accepted_at").iterator():
        answers[str(authority_id)].append(ReplyRow(thread_id=str(thread_id), sent_at=accepted_at))
    return _Rows(inquiries=by_authority, replies=answers, refusals=refused)


def _mailbox_label(mailbox: AuthorityMailbox) -> str:
    return f"{mailbox.parent.name} › {mailbox.name}" if mailbox.parent is not None else mailbox.name


def get_organisation_statistics(authority: Authority, period: Period, *, now: datetime | None = None
                                ) -> OrganisationStatistics:
    """The organisation's figures in total and per mailbox (every mailbox, also those with nothing)."""
    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    rows = _read_rows(period, now, authority)
    key = str(authority.pk)
    outcomes = answer_outcomes(rows.inquiries.get(key, []), rows.replies.get(key, []),
                               deadline_days=authority.reply_deadline_days, now=now, tz=tz)
    refusals = rows.refusals.get(key, [])
    split = by_mailbox(outcomes, refusals)
    empty = summarise([])
    mailboxes = sorted(
        (MailboxStatistics(id=str(box.pk), name=_mailbox_label(box), is_open=box.is_open,
                           figures=split.get(str(box.pk), empty))
         for box in AuthorityMailbox.objects.filter(authority=authority).select_related("parent")),
        key=lambda m: m.name.casefold(),
    )
    return OrganisationStatistics(
        cvr=authority.cvr, name=authority.name, period=period, deadline_days=authority.reply_deadline_days,
        computed_at=now, total=summarise(outcomes, refusals), mailboxes=mailboxes,
        weeks=weekly(outcomes, period, tz), buckets=distribution(outcomes),
    )


def list_platform_statistics(period: Period, *, now: datetime | None = None) -> PlatformStatistics:
    """Every organisation's figures (platform operators only: the caller checks), each with its own deadline."""
    now = now or timezone.now()
    tz = timezone.get_default_timezone()
    rows = _read_rows(period, now, None)
    everyone: list[Outcome] = []
    organisations = []
    for authority in Authority.objects.order_by("name", "cvr"):
        key = str(authority.pk)
        outcomes = answer_outcomes(rows.inquiries.get(key, []), rows.replies.get(key, []),
                                   deadline_days=authority.reply_deadline_days, now=now, tz=tz)
        everyone.extend(outcomes)
        organisations.append(OrganisationRow(cvr=authority.cvr, name=authority.name,
                                             deadline_days=authority.reply_deadline_days,
                                             figures=summarise(outcomes, rows.refusals.get(key, []))))
    all_refusals = [r for refusals in rows.refusals.values() for r in refusals]
    return PlatformStatistics(period=period, computed_at=now, organisations=organisations,
                              total=summarise(everyone, all_refusals))


# ?sort= values of the operator's table; a leading "-" sorts descending. Missing values (no share, no median)
# always go last, so the organisations without data never hide the worst ones.
SORT_KEYS: dict[str, Callable[[OrganisationRow], Any]] = {
    "name": lambda row: row.name.casefold(),
    "received": lambda row: row.figures.received,
    "share": lambda row: row.figures.share_answered_in_time,
    "overdue": lambda row: row.figures.unanswered_past_deadline,
    "median": lambda row: row.figures.median_hours,
    "refused": lambda row: row.figures.refused,
}


def sort_platform_statistics(stats: PlatformStatistics, sort: str) -> PlatformStatistics:
    """The organisations ordered by `sort` (a SORT_KEYS name, "-" for descending; unknown: by name)."""
    descending = sort.startswith("-")
    key = SORT_KEYS.get(sort.removeprefix("-"), SORT_KEYS["name"])
    by_name = sorted(stats.organisations, key=SORT_KEYS["name"])
    present = [row for row in by_name if key(row) is not None]
    missing = [row for row in by_name if key(row) is None]
    return replace(stats, organisations=sorted(present, key=key, reverse=descending) + missing)
