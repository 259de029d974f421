"""Reply statistics as plain computations over rows already read: no Django, no queries, no clock of its own.

The selectors read (inquiry, reply, refusal) rows for a period in a few queries; everything here turns them
into figures: which reply answered which inquiry, whether it came within the deadline (working days, Danish
holidays: core.workdays), the median and p90 time to answer (elapsed hours), the weekly series and the
answer-time distribution. docs/statistics.md defines each figure; the tests pin them with known times.
Not for: reading the database or formatting for a page (selectors.py, chart.py and the views do that).
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.workdays import add_working_days

PRESET_DAYS = (7, 30, 90, 365)
DEFAULT_DAYS = 30
MAX_DAYS = 5 * 366
# Upper bounds (hours, inclusive) of the answer-time distribution; the last bucket is "longer".
BUCKET_HOURS = (1, 8, 24, 72, 168, 336)


@dataclass(frozen=True, slots=True)
class Period:
    """Whole local days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[first instant, first instant after) of the period in the local time zone."""
        return (datetime.combine(self.start, time.min, tz),
                datetime.combine(self.end + timedelta(days=1), time.min, tz))

    def mondays(self) -> list[date]:
        """The Monday of every ISO week the period touches."""
        monday = self.start - timedelta(days=self.start.weekday())
        weeks = []
        while monday <= self.end:
            weeks.append(monday)
            monday += timedelta(days=7)
        return weeks


def choose_period(*, today: date, start: date | None = None, end: date | None = None,
                  days: int | None = None) -> Period:
    """The period asked for: explicit dates win; else the last `days` days up to today (default 30).

    Only one date given: the other end is today, or `days` (default 30) days from the given start.
    """
    length = days or DEFAULT_DAYS
    if length < 1 or length > MAX_DAYS:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"days: choose between 1 and {MAX_DAYS}")
    if start is None and end is None:
        end = today
    if start is None:
        assert end is not None
        start = end - timedelta(days=length - 1)
    if end is None:
        end = today if days is None and start <= today else start + timedelta(days=length - 1)
    if start > end:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "from: the start date is after the end date")
    period = Period(start=start, end=end)
    if period.days > MAX_DAYS:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"from/to: a period is at most {MAX_DAYS} days")
    return period


@dataclass(frozen=True, slots=True)
class InquiryRow:
    """A message from a citizen or company (FROM_PARTY: direction TO_AUTHORITY) in a thread of a mailbox."""

    thread_id: str
    mailbox_id: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ReplyRow:
    """A message from the authority (TO_PARTY) in a thread."""

    thread_id: str
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class RefusalRow:
    """A reply the hub refused; `mailbox_id` is empty when the refused reply named no known thread."""

    code: str
    mailbox_id: str
    received_at: datetime


class State(StrEnum):
    IN_TIME = "in-time"  # answered on or before the deadline day
    LATE = "late"  # answered, after the deadline day
    OVERDUE = "overdue"  # not answered, and the deadline day is over
    OPEN = "open"  # not answered yet, the deadline day has not passed


@dataclass(frozen=True, slots=True)
class Outcome:
    inquiry: InquiryRow
    deadline: date  # the last local day on which an answer is in time
    answered_at: datetime | None
    state: State

    @property
    def hours(self) -> float | None:
        """Elapsed hours from the inquiry to the first reply after it."""
        if self.answered_at is None:
            return None
        return (self.answered_at - self.inquiry.received_at).total_seconds() / 3600


def answer_outcomes(inquiries: Iterable[InquiryRow], replies: Iterable[ReplyRow], *, deadline_days: int,
                    now: datetime, tz: tzinfo) -> list[Outcome]:
    """Each inquiry with its answer: the first reply in the same thread strictly after it, up to `now`."""
    sent: dict[str, list[datetime]] = defaultdict(list)
    for reply in replies:
        if reply.sent_at <= now:
            sent[reply.thread_id].append(reply.sent_at)
    for times in sent.values():
        times.sort()
    today = now.astimezone(tz).date()
    outcomes = []
    for inquiry in inquiries:
        deadline = add_working_days(inquiry.received_at.astimezone(tz).date(), deadline_days)
        times = sent.get(inquiry.thread_id, [])
        index = bisect.bisect_right(times, inquiry.received_at)
        answered_at = times[index] if index < len(times) else None
        if answered_at is not None:
            state = State.IN_TIME if answered_at.astimezone(tz).date() <= deadline else State.LATE
        else:
            state = State.OVERDUE if today > deadline else State.OPEN
        outcomes.append(Outcome(inquiry=inquiry, deadline=deadline, answered_at=answered_at, state=state))
    return outcomes


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks (numpy's default; fraction 0.5 is the usual median)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True, slots=True)
class Figures:
    received: int
    answered: int
    answered_in_time: int
    answered_late: int
    unanswered_past_deadline: int
    open_within_deadline: int
    # answered_in_time / (received - open_within_deadline): the inquiries whose deadline is decided.
    share_answered_in_time: float | None
    median_hours: float | None
    p90_hours: float | None
    refused: int
    refused_by_code: tuple[tuple[str, int], ...]  # most frequent first, then by code

    @property
    def unanswered(self) -> int:
        return self.received - self.answered

    @property
    def share_percent(self) -> float | None:
        return None if self.share_answered_in_time is None else self.share_answered_in_time * 100


def summarise(outcomes: Sequence[Outcome], refusals: Sequence[RefusalRow] = ()) -> Figures:
    states = Counter(o.state for o in outcomes)
    hours = [h for h in (o.hours for o in outcomes) if h is not None]
    decided = len(outcomes) - states[State.OPEN]
    codes = Counter(r.code for r in refusals)
    return Figures(
        received=len(outcomes), answered=len(hours), answered_in_time=states[State.IN_TIME],
        answered_late=states[State.LATE], unanswered_past_deadline=states[State.OVERDUE],
        open_within_deadline=states[State.OPEN],
        share_answered_in_time=states[State.IN_TIME] / decided if decided else None,
        median_hours=percentile(hours, 0.5), p90_hours=percentile(hours, 0.9),
        refused=len(refusals), refused_by_code=tuple(sorted(codes.items(), key=lambda item: (-item[1], item[0]))),
    )


def by_mailbox(outcomes: Sequence[Outcome], refusals: Sequence[RefusalRow] = ()) -> dict[str, Figures]:
    """Figures per mailbox id, for every mailbox that had an inquiry or a refused reply."""
    inquiries: dict[str, list[Outcome]] = defaultdict(list)
    refused: dict[str, list[RefusalRow]] = defaultdict(list)
    for outcome in outcomes:
        inquiries[outcome.inquiry.mailbox_id].append(outcome)
    for refusal in refusals:
        if refusal.mailbox_id:
            refused[refusal.mailbox_id].append(refusal)
    return {box: summarise(inquiries.get(box, []), refused.get(box, [])) for box in {*inquiries, *refused}}


@dataclass(frozen=True, slots=True)
class Week:
    monday: date
    received: int
    answered: int  # of the inquiries received that week, answered by now
    answered_in_time: int


def weekly(outcomes: Sequence[Outcome], period: Period, tz: tzinfo) -> list[Week]:
    """Inquiries received per ISO week of the period, and how many of them were answered (in time)."""
    received: Counter[date] = Counter()
    answered: Counter[date] = Counter()
    in_time: Counter[date] = Counter()
    for outcome in outcomes:
        day = outcome.inquiry.received_at.astimezone(tz).date()
        monday = day - timedelta(days=day.weekday())
        received[monday] += 1
        answered[monday] += outcome.answered_at is not None
        in_time[monday] += outcome.state == State.IN_TIME
    return [Week(monday=m, received=received[m], answered=answered[m], answered_in_time=in_time[m])
            for m in period.mondays()]


@dataclass(frozen=True, slots=True)
class Bucket:
    above_hours: int  # exclusive lower bound (0: from zero)
    up_to_hours: int | None  # inclusive upper bound; None for the open last bucket
    count: int


def distribution(outcomes: Sequence[Outcome]) -> list[Bucket]:
    """How many answers took up to 1, 8, 24, 72, 168, 336 hours, and longer."""
    counts = [0] * (len(BUCKET_HOURS) + 1)
    for outcome in outcomes:
        hours = outcome.hours
        if hours is not None:
            counts[bisect.bisect_left(BUCKET_HOURS, hours)] += 1
    lows = (0, *BUCKET_HOURS)
    highs: tuple[int | None, ...] = (*BUCKET_HOURS, None)
    return [Bucket(above_hours=low, up_to_hours=high, count=n)
            for low, high, n in zip(lows, highs, counts, strict=True)]
