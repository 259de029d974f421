"""GET /apis/v1/admin/organisations/{cvr}/statistics: the organisation's reply statistics for a period.

The same figures as the portal page and its CSV (docs/statistics.md): in total, per mailbox, per week, and
the answer-time distribution. Times to answer are elapsed hours, shares are percentages, both with one
decimal; a figure with nothing to measure is null.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.api.admin.access import org_operation
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.api.admin.common import ERRORS
from digitalpost.core.roles import Action
from digitalpost.stats.figures import MAX_DAYS, Bucket, Figures, Week, choose_period
from digitalpost.stats.selectors import OrganisationStatistics, get_organisation_statistics

router = Router(tags=["admin: statistics"])


def _one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


class StatisticsQuery(Schema):
    start: date | None = Field(None, alias="from", description="First day (inclusive, local time). "
                               "Default: `days` days before `to`.")
    end: date | None = Field(None, alias="to", description="Last day (inclusive). Default: today.")
    days: int | None = Field(None, ge=1, le=MAX_DAYS, description="Length of the period when `from` is not "
                             "given: 7, 30, 90 or 365 on the portal; default 30.")


class RefusedCountOut(Schema):
    code: str = Field(description="The error code the reply was refused with (docs/errors.md).")
    count: int


class FiguresOut(Schema):
    received: int = Field(description="Inquiries from citizens and companies accepted in the period.")
    answered: int = Field(description="Of those, answered by a reply in the same conversation, as of now.")
    answeredInTime: int = Field(description="Answered on or before the deadline day (working days).")
    answeredLate: int
    unansweredPastDeadline: int = Field(description="Not answered, and the deadline day is over.")
    openWithinDeadline: int = Field(description="Not answered yet; the deadline day has not passed.")
    shareAnsweredInTimePercent: float | None = Field(
        description="answeredInTime / (received - openWithinDeadline) × 100; null when that is 0.")
    medianHoursToAnswer: float | None = Field(description="Elapsed hours from inquiry to first reply.")
    p90HoursToAnswer: float | None
    repliesRefused: int = Field(description="Replies the hub refused in the period.")
    repliesRefusedByCode: list[RefusedCountOut]

    @staticmethod
    def of(f: Figures) -> FiguresOut:
        return FiguresOut(
            received=f.received, answered=f.answered, answeredInTime=f.answered_in_time,
            answeredLate=f.answered_late, unansweredPastDeadline=f.unanswered_past_deadline,
            openWithinDeadline=f.open_within_deadline, shareAnsweredInTimePercent=_one_decimal(f.share_percent),
            medianHoursToAnswer=_one_decimal(f.median_hours), p90HoursToAnswer=_one_decimal(f.p90_hours),
            repliesRefused=f.refused,
            repliesRefusedByCode=[RefusedCountOut(code=code, count=n) for code, n in f.refused_by_code],
        )


class MailboxStatisticsOut(Schema):
    id: uuid.UUID
    name: str
    isOpen: bool
    figures: FiguresOut


class WeekOut(Schema):
    monday: date
    received: int
    answered: int = Field(description="Of the inquiries received that week, answered as of now.")
    answeredInTime: int

    @staticmethod
    def of(w: Week) -> WeekOut:
        return WeekOut(monday=w.monday, received=w.received, answered=w.answered, answeredInTime=w.answered_in_time)


class AnswerTimeOut(Schema):
    aboveHours: int
    upToHours: int | None = Field(description="Inclusive; null for the last bucket.")
    count: int

    @staticmethod
    def of(b: Bucket) -> AnswerTimeOut:
        return AnswerTimeOut(aboveHours=b.above_hours, upToHours=b.up_to_hours, count=b.count)


class PeriodOut(Schema):
    start: date
    end: date
    days: int


class StatisticsOut(Schema):
    cvr: str
    name: str
    period: PeriodOut
    deadlineWorkingDays: int
    asOf: datetime = Field(description="When the figures were computed (unanswered past deadline is as of then).")
    total: FiguresOut
    mailboxes: list[MailboxStatisticsOut]
    weeks: list[WeekOut]
    answerTimes: list[AnswerTimeOut]

    @staticmethod
    def of(s: OrganisationStatistics) -> StatisticsOut:
        return StatisticsOut(
            cvr=s.cvr, name=s.name, period=PeriodOut(start=s.period.start, end=s.period.end, days=s.period.days),
            deadlineWorkingDays=s.deadline_days, asOf=s.computed_at, total=FiguresOut.of(s.total),
            mailboxes=[MailboxStatisticsOut(id=uuid.UUID(m.id), name=m.name, isOpen=m.is_open,
                                            figures=FiguresOut.of(m.figures)) for m in s.mailboxes],
            weeks=[WeekOut.of(w) for w in s.weeks], answerTimes=[AnswerTimeOut.of(b) for b in s.buckets],
        )


@router.get("/organisations/{cvr}/statistics", response={200: StatisticsOut, **ERRORS}, summary="Reply statistics",
            description="Inquiries received, answered, share answered within the deadline, median and p90 time "
                        "to answer, unanswered past the deadline and refused replies by cause — in total, per "
                        "mailbox and per week. Period: ?from=&to= (dates, inclusive) or ?days=; default the "
                        "last 30 days.")
@org_operation(Action.VIEW_STATISTICS)
def get_statistics(request: AdminRequest, org: OrgAccess, query: Query[StatisticsQuery]) -> StatisticsOut:
    period = choose_period(today=timezone.localdate(), start=query.start, end=query.end, days=query.days)
    return StatisticsOut.of(get_organisation_statistics(org.authority, period))
