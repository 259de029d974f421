"""A known story of inquiries and replies for the reply-statistics tests, built through the real services.

The clock is the only thing faked: `Clock` replaces django.utils.timezone.now, so each inquiry and reply is
accepted at a chosen moment by the same services the portal and the gateway use. Refused replies are
recorded rows (the gateway tests prove how they are made); here only their code, time and thread matter.

The story (Nordby, deadline 3 working days, period 7–27 April 2025, Easter: 17, 18 and 21 April are public
holidays; local time Europe/Copenhagen, summer time):

    mailbox        received (local)       first reply after it    hours  deadline day  state
    Borgerservice  Mon 7 Apr  09:00  A    Mon 7 Apr 11:00            2   Thu 10 Apr    in time
    Borgerservice  Wed 9 Apr  08:00  G*   Wed 9 Apr 10:00            2   Mon 14 Apr    in time
    Borgerservice  Fri 11 Apr 15:00  B    Wed 16 Apr 15:00         120   Wed 16 Apr    in time (weekend)
    Borgerservice  Tue 15 Apr 10:00  C    Wed 23 Apr 10:00         192   Wed 23 Apr    in time (Easter)
    Skat           Tue 15 Apr 12:00  D    Thu 24 Apr 12:00         216   Wed 23 Apr    late
    Skat           Wed 23 Apr 09:00  E    —                          —   Mon 28 Apr    overdue on 30 Apr
    Borgerservice  Fri 25 Apr 09:00  F    —                          —   Wed 30 Apr    open on 30 Apr
    (* G is a follow-up in A's conversation)
    outside: Sun 6 Apr 23:30 and Mon 28 Apr 00:30 (Borgerservice), and Sydby's own inquiry on 7 Apr
    (Sydby: deadline 10 working days, Thu 24 Apr, so overdue on 30 Apr).

Refused replies in the period: thread.missing ×2 (no conversation), sender.certificate.expired ×1 (D's
conversation, so Skat); one thread.invalid on 29 April, outside. "Now" is Wed 30 April 2025 12:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from digitalpost.accounts.selectors import actor_of
from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.authorities.services.organisation import update_authority_profile
from digitalpost.conversations.services.casework import reply_to_inquiry
from digitalpost.conversations.services.inquiries import Inquiry, send_followup, send_inquiry
from digitalpost.messages.models import Message, RefusedReply, Thread

LOCAL = ZoneInfo("Europe/Copenhagen")
PERIOD = {"from": "2025-04-07", "to": "2025-04-27"}
START, END = date(2025, 4, 7), date(2025, 4, 27)
NOW = datetime(2025, 4, 30, 12, 0, tzinfo=LOCAL)


def local(day: int, hour: int, minute: int = 0, month: int = 4) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=LOCAL)


class Clock:
    """The time every service sees (timezone.now); install with `Clock.install(monkeypatch)`."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    @classmethod
    def install(cls, monkeypatch, at: datetime | None = None) -> Clock:
        clock = cls(at or timezone.now())
        monkeypatch.setattr(timezone, "now", lambda: clock.at.astimezone(UTC))
        return clock

    def set(self, at: datetime) -> None:
        self.at = at


@dataclass
class Story:
    authority: Authority
    borgerservice: AuthorityMailbox
    skat: AuthorityMailbox
    threads: dict[str, Thread]


def ask(clock: Clock, party, mailbox: AuthorityMailbox, at: datetime, subject: str) -> Message:
    clock.set(at)
    topic = mailbox.topics.values_list("name", flat=True).first() or ""
    return send_inquiry(party=party, mailbox=mailbox, inquiry=Inquiry(subject=subject, text="Hej", topic=topic))


def answer(clock: Clock, thread: Thread, at: datetime, user) -> Message:
    clock.set(at)
    return reply_to_inquiry(thread=Thread.objects.get(pk=thread.pk), text="Svar", actor=actor_of(user))


def refuse(clock: Clock, authority: Authority, code: str, at: datetime, thread: Thread | None = None) -> None:
    clock.set(at)
    RefusedReply.objects.create(code=code, authority=authority, thread=thread, received_at=at)


def build_story(cast, staff, clock: Clock) -> Story:
    nordby = cast.nordby.authority
    update_authority_profile(authority=nordby, name=nordby.name, kind=nordby.kind, reply_deadline_days=3)
    nordby.refresh_from_db()
    box, skat = staff.nordby_borgerservice, create_mailbox(authority=nordby, name="Skat")
    anna, dorte, nora = cast.anna, cast.dorte, staff.nora
    threads = {}
    threads["A"] = ask(clock, anna, box, local(7, 9), "A").thread
    answer(clock, threads["A"], local(7, 11), nora)
    clock.set(local(9, 8))
    send_followup(party=anna, thread=threads["A"], text="G")
    answer(clock, threads["A"], local(9, 10), nora)
    threads["B"] = ask(clock, dorte, box, local(11, 15), "B").thread
    answer(clock, threads["B"], local(16, 15), nora)
    threads["C"] = ask(clock, anna, box, local(15, 10), "C").thread
    threads["D"] = ask(clock, anna, skat, local(15, 12), "D").thread
    answer(clock, threads["C"], local(23, 10), nora)
    answer(clock, threads["D"], local(24, 12), nora)
    threads["E"] = ask(clock, dorte, skat, local(23, 9), "E").thread
    threads["F"] = ask(clock, anna, box, local(25, 9), "F").thread
    ask(clock, anna, box, local(6, 23, 30), "before")
    ask(clock, anna, box, local(28, 0, 30), "after")
    ask(clock, anna, staff.sydby_borgerservice, local(7, 10), "Sydby")
    refuse(clock, nordby, "thread.missing", local(10, 9))
    refuse(clock, nordby, "thread.missing", local(10, 9, 5))
    refuse(clock, nordby, "sender.certificate.expired", local(16, 8), thread=threads["D"])
    refuse(clock, nordby, "thread.invalid", local(29, 8))
    clock.set(NOW)
    return Story(authority=nordby, borgerservice=box, skat=skat, threads=threads)
