"""Inquiries unanswered past the organisation's deadline, counted in Danish working days: one finding per
mailbox, gone when the conversation is answered or marked handled, back when the citizen writes again."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.authorities.services.organisation import update_authority_profile
from digitalpost.conversations.services.casework import mark_inquiry_handled, reply_to_inquiry
from digitalpost.conversations.services.inquiries import Inquiry, send_followup, send_inquiry
from digitalpost.core.findings import Finding, Severity, SubjectKind
from digitalpost.core.roles import SYSTEM_ACTOR
from digitalpost.core.workdays import add_working_days
from digitalpost.doctor.checks.snapshot import MailboxInfo, OrgSnapshot, WaitingInquiry
from digitalpost.doctor.checks.unanswered import unanswered_inquiries
from digitalpost.messages.models import Message
from helpers.doctor_world import HealthyOrg, findings_of

DENMARK = ZoneInfo("Europe/Copenhagen")


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=DENMARK)


def late(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.code == "inquiry.unanswered"]


@pytest.fixture
def ask(cast, healthy: HealthyOrg):
    def write(*, mailbox=None, subject: str = "Mit pas", party=None) -> Message:
        return send_inquiry(party=party or cast.anna, mailbox=mailbox or healthy.mailbox,
                            inquiry=Inquiry(subject=subject, text="Hvornår er mit pas klar?"))

    return write


def due(message: Message, days: int = 10) -> date:
    return add_working_days(message.accepted_at.astimezone(DENMARK).date(), days)


def day_after_deadline(message: Message, days: int = 10) -> datetime:
    """Noon on the first day the answer is late (the day after the last day in time)."""
    return noon(due(message, days) + timedelta(days=1))


def test_a_healthy_organisation_has_no_unanswered_inquiries(healthy: HealthyOrg):
    assert late(findings_of(healthy)) == []


def test_an_inquiry_waiting_past_ten_working_days_is_reported_on_its_mailbox(healthy: HealthyOrg, ask):
    message = ask()
    overdue_from = day_after_deadline(message)

    assert late(findings_of(healthy, now=datetime.combine(due(message), time(23, 59), tzinfo=DENMARK))) == []
    (finding,) = late(findings_of(healthy, now=overdue_from))
    assert (finding.severity, finding.subject.kind, finding.subject.id) == (
        Severity.WARNING, SubjectKind.MAILBOX, str(healthy.mailbox.pk))
    assert finding.facts["count"] == 1
    assert finding.facts["threads"] == str(message.thread_id)
    assert finding.facts["oldestReceivedAt"] == message.accepted_at.isoformat()
    assert finding.facts["deadlineDays"] == 10
    assert finding.facts["dueOn"] == due(message).isoformat()
    assert "“Mit pas”" in finding.why


def test_a_backlog_is_one_finding_per_mailbox_and_critical_at_twice_the_deadline(healthy: HealthyOrg, ask, cast):
    other = create_mailbox(authority=healthy.authority, name="Byggesag", receiver_system=healthy.receiver)
    first = ask(subject="Første")
    ask(subject="Anden", party=cast.dorte)
    ask(mailbox=other, subject="Tilbygning")

    found = late(findings_of(healthy, now=day_after_deadline(first)))
    assert sorted((f.subject.name, f.facts["count"]) for f in found) == [("Borgerservice", 2), ("Byggesag", 1)]
    assert {f.severity for f in found} == {Severity.WARNING}

    much_later = late(findings_of(healthy, now=noon(add_working_days(due(first), 10))))
    assert {f.severity for f in much_later} == {Severity.CRITICAL}


def test_the_organisations_own_deadline_counts(healthy: HealthyOrg, ask):
    update_authority_profile(authority=healthy.authority, name=healthy.authority.name, kind=healthy.authority.kind,
                             technical_contact_name="Ida IT", technical_contact_email="it@nordby.localhost",
                             reply_deadline_days=3)
    healthy.authority.refresh_from_db()
    message = ask()
    (finding,) = late(findings_of(healthy, now=day_after_deadline(message, days=3)))
    assert finding.facts["deadlineDays"] == 3


def test_a_reply_or_marking_it_handled_ends_it_and_a_new_inquiry_starts_it_again(healthy: HealthyOrg, ask, cast):
    message = ask()
    thread = message.thread
    when = day_after_deadline(message)
    reply_to_inquiry(thread=thread, text="Dit pas er klar.", actor=SYSTEM_ACTOR)
    assert late(findings_of(healthy, now=when)) == []

    followup = send_followup(party=cast.anna, thread=thread, text="Tak, men hvor henter jeg det?")
    (finding,) = late(findings_of(healthy, now=day_after_deadline(followup)))
    assert finding.facts["oldestReceivedAt"] == followup.accepted_at.isoformat()  # counted from the follow-up

    mark_inquiry_handled(thread=thread, handled=True, actor=SYSTEM_ACTOR)
    assert late(findings_of(healthy, now=day_after_deadline(followup))) == []


# --- the check over hand-built snapshots ------------------------------------------------------------------------

MAILBOX = MailboxInfo(id="m1", name="Borgerservice", is_open=True, is_visible=True, is_standard=True,
                      receiver_system_id="r1")


def org(*waiting: WaitingInquiry, deadline: int = 1) -> OrgSnapshot:
    return OrgSnapshot(cvr="29190003", name="Nordby Kommune", technical_contact_name="IT",
                       technical_contact_email="it@nordby.dk", superadministrators=2, reply_deadline_days=deadline,
                       mailboxes=(MAILBOX,), waiting_inquiries=waiting)


def waiting(thread: str, received: datetime) -> WaitingInquiry:
    return WaitingInquiry(thread_id=thread, mailbox_id="m1", subject=f"Sag {thread}", received_at=received)


def test_easter_holidays_and_weekends_do_not_count():
    # Received Wednesday 1 April 2026; Maundy Thursday, Good Friday, the weekend and Easter Monday are not working
    # days, so with one working day to answer the answer is due Tuesday 7 April.
    snapshot = org(waiting("t1", noon(date(2026, 4, 1))))
    assert list(unanswered_inquiries(snapshot, noon(date(2026, 4, 7)).astimezone(UTC))) == []
    (finding,) = unanswered_inquiries(snapshot, noon(date(2026, 4, 8)).astimezone(UTC))
    assert finding.facts["overdueWorkingDays"] == 1
    assert finding.facts["dueOn"] == "2026-04-07"


def test_an_answer_due_on_friday_is_late_on_saturday_and_critical_after_the_deadline_again():
    snapshot = org(waiting("t1", noon(date(2026, 3, 5))))  # Thursday; one working day: due Friday 6 March
    (saturday,) = unanswered_inquiries(snapshot, noon(date(2026, 3, 7)))
    assert (saturday.severity, saturday.facts["overdueWorkingDays"]) == (Severity.WARNING, 0)
    (monday,) = unanswered_inquiries(snapshot, noon(date(2026, 3, 9)))
    assert (monday.severity, monday.facts["overdueWorkingDays"]) == (Severity.CRITICAL, 1)


def test_the_deadline_is_counted_in_danish_days_not_utc():
    # 23:30 UTC on Monday is already Tuesday in Copenhagen: received Tuesday, due Wednesday.
    received = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    snapshot = org(waiting("t1", received))
    assert list(unanswered_inquiries(snapshot, noon(date(2026, 3, 4)))) == []
    assert len(list(unanswered_inquiries(snapshot, noon(date(2026, 3, 5))))) == 1


def test_the_facts_list_the_oldest_five_conversations_oldest_first():
    start = noon(date(2026, 3, 2))
    snapshot = org(*(waiting(f"t{n}", start + timedelta(minutes=10 - n)) for n in range(8)))
    (finding,) = unanswered_inquiries(snapshot, noon(date(2026, 3, 20)))
    assert finding.facts["count"] == 8
    assert finding.facts["threads"] == "t7,t6,t5,t4,t3"
    assert finding.facts["oldestThread"] == "t7"
