"""Reply statistics read from inquiries and replies made through the real services at known times
(helpers/stats_world.py tells the story and works out every expected number), for one organisation and for all."""

from __future__ import annotations

from datetime import date

import pytest

from digitalpost.authorities.models import Authority
from digitalpost.authorities.services.organisation import create_authority
from digitalpost.stats.figures import Period
from digitalpost.stats.selectors import (
    get_organisation_statistics,
    list_platform_statistics,
    sort_platform_statistics,
)
from helpers.stats_world import END, NOW, START, answer, ask, local

PERIOD = Period(start=START, end=END)


def counts(figures) -> tuple[int, ...]:
    return (figures.received, figures.answered, figures.answered_in_time, figures.answered_late,
            figures.unanswered_past_deadline, figures.open_within_deadline, figures.refused)


def test_organisation_figures_follow_the_story(story):
    stats = get_organisation_statistics(story.authority, PERIOD)
    total = stats.total
    assert counts(total) == (7, 5, 4, 1, 1, 1, 3)
    assert total.share_answered_in_time == pytest.approx(4 / 6)
    assert (total.median_hours, total.p90_hours) == (pytest.approx(120), pytest.approx(206.4))
    assert total.refused_by_code == (("thread.missing", 2), ("sender.certificate.expired", 1))
    assert (stats.deadline_days, stats.computed_at, stats.cvr) == (3, NOW, story.authority.cvr)


def test_figures_are_split_by_mailbox_and_refusals_go_to_the_mailbox_of_their_thread(story):
    stats = get_organisation_statistics(story.authority, PERIOD)
    boxes = {m.name: m for m in stats.mailboxes}
    assert list(boxes) == ["Borgerservice", "Skat"]
    borgerservice, skat = boxes["Borgerservice"].figures, boxes["Skat"].figures
    assert boxes["Skat"].id == str(story.skat.pk)
    assert counts(borgerservice) == (5, 4, 4, 0, 0, 1, 0)
    assert borgerservice.share_answered_in_time == 1.0
    assert (borgerservice.median_hours, borgerservice.p90_hours) == (pytest.approx(61), pytest.approx(170.4))
    assert counts(skat) == (2, 1, 0, 1, 1, 0, 1)
    assert (skat.share_answered_in_time, skat.median_hours) == (0.0, pytest.approx(216))
    assert skat.refused_by_code == (("sender.certificate.expired", 1),)


def test_weeks_and_answer_times_of_the_story(story):
    stats = get_organisation_statistics(story.authority, PERIOD)
    assert [(w.monday.day, w.received, w.answered, w.answered_in_time) for w in stats.weeks] == [
        (7, 3, 3, 3), (14, 2, 2, 1), (21, 2, 0, 0)]
    assert [b.count for b in stats.buckets] == [0, 2, 0, 0, 1, 2, 0]


def test_the_period_is_whole_local_days(story):
    sunday = get_organisation_statistics(story.authority, Period(date(2025, 4, 6), date(2025, 4, 6)))
    assert sunday.total.received == 1  # 23:30 local on Sunday, although 21:30 UTC
    monday_28 = get_organisation_statistics(story.authority, Period(date(2025, 4, 28), date(2025, 4, 30)))
    assert (monday_28.total.received, monday_28.total.refused) == (1, 1)
    assert monday_28.total.refused_by_code == (("thread.invalid", 1),)
    whole = get_organisation_statistics(story.authority, Period(date(2025, 4, 1), date(2025, 4, 30)))
    assert whole.total.received == 9


def test_unanswered_past_deadline_is_counted_as_of_now(story, clock):
    clock.set(local(28, 23))  # E's deadline day: still open
    earlier = get_organisation_statistics(story.authority, PERIOD).total
    assert (earlier.unanswered_past_deadline, earlier.open_within_deadline) == (0, 2)
    clock.set(local(29, 9))  # the day after: overdue
    later = get_organisation_statistics(story.authority, PERIOD).total
    assert (later.unanswered_past_deadline, later.open_within_deadline) == (1, 1)


def test_a_reply_after_the_period_still_answers_an_inquiry_received_in_it(story, staff, clock):
    answer(clock, story.threads["E"], local(2, 9, month=5), staff.nora)
    clock.set(local(2, 12, month=5))
    skat = {m.name: m for m in get_organisation_statistics(story.authority, PERIOD).mailboxes}["Skat"].figures
    assert counts(skat) == (2, 2, 0, 2, 0, 0, 1)


def test_another_organisations_inquiries_are_not_counted(story, cast):
    sydby = get_organisation_statistics(cast.sydby.authority, PERIOD)
    assert counts(sydby.total) == (1, 0, 0, 0, 1, 0, 0)
    assert [m.name for m in sydby.mailboxes] == ["Borgerservice"]


def test_the_number_of_queries_does_not_grow_with_the_inquiries(story, cast, staff, clock,
                                                                 django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        get_organisation_statistics(story.authority, PERIOD)
    for n in range(5):
        ask(clock, cast.anna, story.skat, local(8 + n, 10), f"more {n}")
    clock.set(NOW)
    with django_assert_max_num_queries(4):
        assert get_organisation_statistics(story.authority, PERIOD).total.received == 12
    with django_assert_max_num_queries(4):
        list_platform_statistics(PERIOD)


def test_the_platform_lists_every_organisation_with_its_own_deadline(story, cast):
    stats = list_platform_statistics(PERIOD)
    rows = {row.cvr: row for row in stats.organisations}
    assert set(rows) == set(Authority.objects.values_list("cvr", flat=True))
    assert (rows[cast.nordby.authority.cvr].deadline_days, rows[cast.sydby.authority.cvr].deadline_days) == (3, 10)
    assert counts(rows[cast.nordby.authority.cvr].figures) == (7, 5, 4, 1, 1, 1, 3)
    assert counts(rows[cast.sydby.authority.cvr].figures) == (1, 0, 0, 0, 1, 0, 0)
    assert counts(stats.total) == (8, 5, 4, 1, 2, 1, 3)


def test_the_platform_table_sorts_by_share_in_time_with_missing_figures_last(story, cast):
    for cvr, name in (("12345674", "Østby Kommune"), ("10000009", "Aaby Kommune")):
        create_authority(cvr=cvr, name=name)
    stats = list_platform_statistics(PERIOD)
    nordby, sydby = cast.nordby.authority.cvr, cast.sydby.authority.cvr
    ascending = [row.cvr for row in sort_platform_statistics(stats, "share").organisations]
    descending = [row.cvr for row in sort_platform_statistics(stats, "-share").organisations]
    assert ascending.index(sydby) < ascending.index(nordby)  # 0 % before 67 %
    assert descending.index(nordby) < descending.index(sydby)
    assert ascending[-2:] == descending[-2:] == ["10000009", "12345674"]  # no figure: last, by name
