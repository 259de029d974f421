"""The pure computations behind the reply statistics: which reply answers which inquiry, the deadline in
working days (weekends, Danish holidays), the states, percentiles, buckets, weeks and the period chosen."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.stats.figures import (
    MAX_DAYS,
    InquiryRow,
    Period,
    RefusalRow,
    ReplyRow,
    State,
    answer_outcomes,
    by_mailbox,
    choose_period,
    distribution,
    percentile,
    summarise,
    weekly,
)

CPH = ZoneInfo("Europe/Copenhagen")


def at(day: int, hour: int = 12, minute: int = 0, month: int = 4) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=CPH)


def inquiry(received: datetime, thread: str = "t1", mailbox: str = "m1") -> InquiryRow:
    return InquiryRow(thread_id=thread, mailbox_id=mailbox, received_at=received)


def outcome_of(received: datetime, *replies: datetime, deadline: int = 3, now: datetime | None = None):
    (found,) = answer_outcomes([inquiry(received)], [ReplyRow("t1", r) for r in replies], deadline_days=deadline,
                               now=now or at(30, month=5), tz=CPH)
    return found


def test_the_answer_is_the_first_reply_in_the_same_thread_strictly_after_the_inquiry():
    received = at(7, 9)
    replies = [ReplyRow("t1", at(7, 8)), ReplyRow("t1", received), ReplyRow("t1", at(8, 10)),
               ReplyRow("t1", at(7, 15)), ReplyRow("other", at(7, 10))]
    (found,) = answer_outcomes([inquiry(received)], replies, deadline_days=3, now=at(30), tz=CPH)
    assert found.answered_at == at(7, 15)
    assert found.hours == 6


def test_a_reply_after_now_does_not_count_yet():
    found = outcome_of(at(7, 9), at(9, 9), now=at(8, 12))
    assert (found.answered_at, found.state) == (None, State.OPEN)


def test_deadline_counts_working_days_so_a_weekend_does_not_shorten_it():
    friday = at(11, 15)
    assert outcome_of(friday).deadline == date(2025, 4, 16)  # Mon, Tue, Wed
    assert outcome_of(friday, at(16, 23, 59)).state == State.IN_TIME
    assert outcome_of(friday, at(17, 0, 1)).state == State.LATE


def test_danish_public_holidays_are_not_working_days():
    # Tue 15 April 2025; Maundy Thursday 17, Good Friday 18 and Easter Monday 21 April are holidays.
    before_easter = at(15, 10)
    assert outcome_of(before_easter).deadline == date(2025, 4, 23)
    assert outcome_of(before_easter, at(23, 10)).state == State.IN_TIME
    assert outcome_of(before_easter, at(24, 10)).state == State.LATE


def test_a_reply_on_the_weekend_after_the_deadline_day_is_late():
    # Received Mon 7 April: deadline Thu 10 April with 3 working days; Saturday 12 April is after it.
    assert outcome_of(at(7, 9), at(12, 10)).state == State.LATE


def test_the_day_an_inquiry_arrives_is_its_local_day_not_utcs():
    # 00:30 on Monday 7 April in Copenhagen is 22:30 on Sunday in UTC. Counted from Monday (local), the
    # deadline is Thursday 10 April; counted from Sunday it would be Wednesday 9 April.
    assert outcome_of(at(7, 0, 30)).deadline == date(2025, 4, 10)


def test_unanswered_is_open_through_the_deadline_day_and_overdue_the_day_after():
    received = at(7, 9)  # deadline Thu 10 April
    assert outcome_of(received, now=at(10, 23, 59)).state == State.OPEN
    assert outcome_of(received, now=at(11, 0, 0)).state == State.OVERDUE


def test_percentile_interpolates_between_the_closest_ranks():
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([1.0, 2.0, 3.0, 10.0], 0.5) == 2.5
    assert percentile([2.0, 2.0, 120.0, 192.0, 216.0], 0.9) == pytest.approx(206.4)


def test_share_in_time_leaves_out_inquiries_whose_deadline_has_not_passed():
    now = at(14, 12)
    rows = [inquiry(at(7, 9), "a"), inquiry(at(7, 9), "b"), inquiry(at(7, 9), "c"), inquiry(at(14, 9), "d")]
    replies = [ReplyRow("a", at(7, 10)), ReplyRow("b", at(11, 10))]
    figures = summarise(answer_outcomes(rows, replies, deadline_days=3, now=now, tz=CPH))
    assert (figures.received, figures.answered, figures.answered_in_time, figures.answered_late) == (4, 2, 1, 1)
    assert (figures.unanswered_past_deadline, figures.open_within_deadline, figures.unanswered) == (1, 1, 2)
    assert figures.share_answered_in_time == pytest.approx(1 / 3)
    assert figures.median_hours == pytest.approx((1 + 97) / 2)


def test_nothing_decided_yet_gives_no_share_and_nothing_answered_no_times():
    figures = summarise(answer_outcomes([inquiry(at(7, 9))], [], deadline_days=3, now=at(7, 12), tz=CPH))
    assert (figures.share_answered_in_time, figures.median_hours, figures.p90_hours) == (None, None, None)
    assert summarise([]).received == 0


def test_refusals_count_by_code_and_only_known_threads_split_by_mailbox():
    refusals = [RefusalRow("thread.missing", "", at(8)), RefusalRow("sender.certificate.expired", "m2", at(9)),
                RefusalRow("thread.missing", "", at(9))]
    outcomes = answer_outcomes([inquiry(at(7, 9))], [], deadline_days=3, now=at(8), tz=CPH)
    total = summarise(outcomes, refusals)
    assert total.refused == 3
    assert total.refused_by_code == (("thread.missing", 2), ("sender.certificate.expired", 1))
    split = by_mailbox(outcomes, refusals)
    assert set(split) == {"m1", "m2"}
    assert (split["m1"].received, split["m1"].refused) == (1, 0)
    assert (split["m2"].received, split["m2"].refused_by_code) == (0, (("sender.certificate.expired", 1),))


def test_answer_times_fall_in_buckets_with_inclusive_upper_bounds():
    start = at(7, 9)
    rows = [inquiry(start, f"t{n}") for n in range(5)]
    taken = [timedelta(hours=1), timedelta(hours=1, seconds=1), timedelta(hours=24), timedelta(days=14),
             timedelta(days=14, minutes=1)]
    replies = [ReplyRow(f"t{n}", start + delta) for n, delta in enumerate(taken)]
    buckets = distribution(answer_outcomes(rows, replies, deadline_days=3, now=at(30, month=5), tz=CPH))
    assert [(b.above_hours, b.up_to_hours, b.count) for b in buckets] == [
        (0, 1, 1), (1, 8, 1), (8, 24, 1), (24, 72, 0), (72, 168, 0), (168, 336, 1), (336, None, 1)]


def test_weeks_cover_the_whole_period_and_count_inquiries_by_the_week_received():
    period = Period(start=date(2025, 4, 9), end=date(2025, 4, 21))  # Wed .. Mon
    rows = [inquiry(at(9, 9), "a"), inquiry(at(13, 23), "b"), inquiry(at(14, 0, 30), "c")]
    outcomes = answer_outcomes(rows, [ReplyRow("c", at(14, 2))], deadline_days=3, now=at(22), tz=CPH)
    weeks = weekly(outcomes, period, CPH)
    assert [(w.monday, w.received, w.answered, w.answered_in_time) for w in weeks] == [
        (date(2025, 4, 7), 2, 0, 0), (date(2025, 4, 14), 1, 1, 1), (date(2025, 4, 21), 0, 0, 0)]


def test_period_defaults_to_the_last_30_days_and_presets_end_today():
    today = date(2025, 4, 30)
    assert choose_period(today=today) == Period(date(2025, 4, 1), today)
    assert choose_period(today=today, days=7) == Period(date(2025, 4, 24), today)
    assert choose_period(today=today, start=date(2025, 4, 7), end=date(2025, 4, 27)).days == 21
    assert choose_period(today=today, start=date(2025, 4, 7)) == Period(date(2025, 4, 7), today)
    assert choose_period(today=today, end=date(2025, 3, 31), days=7) == Period(date(2025, 3, 25), date(2025, 3, 31))


def test_period_bounds_are_local_midnights():
    start, end = Period(date(2025, 4, 7), date(2025, 4, 7)).bounds(CPH)
    assert (start, end) == (at(7, 0), at(8, 0))


@pytest.mark.parametrize(("options", "field"), [
    ({"start": date(2025, 4, 8), "end": date(2025, 4, 7)}, "from"),
    ({"start": date(2015, 1, 1), "end": date(2025, 4, 7)}, "from/to"),
    ({"days": MAX_DAYS + 1}, "days"),
    ({"days": -1}, "days"),
])
def test_impossible_periods_are_refused_naming_the_field(options, field):
    with pytest.raises(DigitalPostError) as refused:
        choose_period(today=date(2025, 4, 30), **options)
    assert refused.value.code == ErrorCode.REQUEST_INVALID
    assert refused.value.detail.startswith(f"{field}:")
