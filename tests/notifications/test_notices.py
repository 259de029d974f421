"""E-mail notices: a registered recipient who wants them gets one plain e-mail per delivered message, through the
real SMTP relay, naming the sender and linking to the mailbox but carrying nothing of the message itself."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from digitalpost.delivery.handlers import BATCH_HANDLERS, HANDLERS
from digitalpost.messages.services.events import verify_timeline
from digitalpost.notifications.models import Notice
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.registry.services import grant_exemption
from helpers.notices_world import MAILBOX_URL, kinds, submit, wants_notices
from helpers.smtp_relay import free_port


def test_registered_recipient_gets_a_notice_with_sender_and_link_but_no_content(cast, drain, relay):
    wants_notices(cast.anna, "anna@example.org")
    message = submit(cast, cast.anna)
    drain()
    assert drain(WorkKind.NOTIFY) == 1

    [(recipients, mail)] = relay.notices()
    assert recipients == ["anna@example.org"]
    assert mail["To"] == "anna@example.org"
    assert "Nordby Kommune" in mail["Subject"]
    body = mail.get_content()
    assert body.index("Du har fået ny Digital Post fra Nordby Kommune") < body.index("You have received new Digital")
    assert MAILBOX_URL in body
    assert mail.get_content_type() == "text/plain"
    assert not mail.is_multipart()
    for secret in ("Afgørelse om boligstøtte", "Hemmeligt indhold", "Anna", "0505851234", str(message.pk)):
        assert secret not in mail.as_string()
    assert kinds(message)[-1] == "NOTICE_SENT"
    assert message.events.get(kind="NOTICE_SENT").data == {"channel": "email"}  # the sender never sees the address
    assert Notice.objects.get(message=message).recipient == "anna@example.org"


def test_company_gets_notices_too(cast, drain, relay):
    wants_notices(cast.dorte, "post@dorte.example")
    submit(cast, cast.dorte)
    drain()
    drain(WorkKind.NOTIFY)
    assert [rcpts for rcpts, _ in relay.notices()] == [["post@dorte.example"]]


def test_no_notice_when_turned_off_or_without_an_address(cast, drain, relay):
    wants_notices(cast.anna, "anna@example.org", on=False)
    wants_notices(cast.dorte, "")
    submit(cast, cast.anna)
    submit(cast, cast.dorte)
    drain()
    assert not Job.objects.filter(kind=WorkKind.NOTIFY).exists()
    assert relay.mails == []


def test_letters_get_no_notice_exempt_recipient_and_kombi_print(cast, drain, relay):
    wants_notices(cast.bodil, "bodil@example.org")
    wants_notices(cast.anna, "anna@example.org")
    on_paper = [submit(cast, cast.bent), submit(cast, cast.anna, kombi="print")]
    drain()
    drain(WorkKind.PRINT)
    assert [m.channel for m in on_paper] == ["PRINT", "PRINT"]
    assert not Job.objects.filter(kind=WorkKind.NOTIFY).exists()
    assert drain(WorkKind.NOTIFY) == 0
    assert relay.mails == []


def test_preferences_are_read_again_when_the_notice_is_sent(cast, drain, relay):
    wants_notices(cast.anna, "anna@example.org")
    submit(cast, cast.anna)
    drain()
    wants_notices(cast.anna, "anna@example.org", on=False)  # turned off after delivery, before the worker ran
    assert drain(WorkKind.NOTIFY) == 1
    assert relay.mails == []
    assert not Notice.objects.exists()


def test_no_notice_for_a_recipient_exempt_since_delivery(cast, drain, relay):
    wants_notices(cast.anna, "anna@example.org")
    message = submit(cast, cast.anna)
    drain()
    grant_exemption(contact=cast.anna, reason="NO_ACCESS", starts_on=timezone.localdate(), ends_on=None,
                    organisation="29190003")
    drain(WorkKind.NOTIFY)
    assert relay.mails == []
    assert "NOTICE_SENT" not in kinds(message)


def test_notice_job_run_twice_sends_one_mail(cast, drain, relay):
    wants_notices(cast.anna, "anna@example.org")
    message = submit(cast, cast.anna)
    drain()
    job = Job.objects.get(kind=WorkKind.NOTIFY, key=f"notice:{message.pk}")
    HANDLERS[WorkKind.NOTIFY](job)
    HANDLERS[WorkKind.NOTIFY](job)  # a worker killed after recording, before finishing: the job runs again
    assert len(relay.notices()) == 1
    assert kinds(message).count("NOTICE_SENT") == 1


def test_relay_down_then_up_sends_exactly_one_notice(cast, drain, relay, settings):
    wants_notices(cast.anna, "anna@example.org")
    message = submit(cast, cast.anna)
    drain()
    settings.DIGITALPOST_SMTP_RELAY_PORT = free_port()  # nothing listens there: the relay is down
    assert drain(WorkKind.NOTIFY) == 1
    job = Job.objects.get(key=f"notice:{message.pk}")
    assert job.state == Job.State.PENDING
    assert "postponed" in job.last_error
    assert not Notice.objects.exists()

    settings.DIGITALPOST_SMTP_RELAY_PORT = relay.port  # the relay is back; the back-off has passed
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    assert drain(WorkKind.NOTIFY) == 1
    assert drain(WorkKind.NOTIFY) == 0
    assert len(relay.notices()) == 1
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert kinds(message).count("NOTICE_SENT") == 1


def test_notices_due_together_are_sent_one_mail_each_and_recorded_in_one_batch(cast, drain, relay):
    for contact, address in ((cast.anna, "anna@example.org"), (cast.bodil, "bodil@example.org")):
        wants_notices(contact, address)
    messages = [submit(cast, contact, label=f"Brev {n}") for n in range(3) for contact in (cast.anna, cast.bodil)]
    drain()
    jobs = list(Job.objects.filter(kind=WorkKind.NOTIFY))
    assert len(jobs) == 6
    BATCH_HANDLERS[WorkKind.NOTIFY](jobs)
    BATCH_HANDLERS[WorkKind.NOTIFY](jobs)  # claimed again after a kill -9 before anyone knew: nothing sent twice
    assert sorted(rcpts[0] for rcpts, _ in relay.notices()) == ["anna@example.org"] * 3 + ["bodil@example.org"] * 3
    assert set(Job.objects.filter(kind=WorkKind.NOTIFY).values_list("state", flat=True)) == {Job.State.DONE}
    for message in messages:
        assert kinds(message).count("NOTICE_SENT") == 1
        assert verify_timeline(message) is None
    assert Notice.objects.count() == 6


def test_a_notice_refused_in_a_batch_keeps_the_ones_before_it_and_the_others_go_one_by_one(cast, drain, relay):
    for contact, address in ((cast.anna, "anna@example.org"), (cast.bodil, "bodil@example.org"),
                             (cast.dorte, "post@dorte.example")):
        wants_notices(contact, address)
    relay.refused.add("bodil@example.org")
    for contact in (cast.anna, cast.bodil, cast.dorte):
        submit(cast, contact)
    drain()
    assert drain(WorkKind.NOTIFY) == 3
    assert sorted(rcpts[0] for rcpts, _ in relay.notices()) == ["anna@example.org", "post@dorte.example"]
    assert Notice.objects.count() == 2
    states = dict(Job.objects.filter(kind=WorkKind.NOTIFY).values_list("key", "state"))
    bodil_key = next(key for key in states if Notice.objects.filter(message_id=key.split(":")[1]).count() == 0)
    assert states.pop(bodil_key) == Job.State.DEAD
    assert set(states.values()) == {Job.State.DONE}


def test_a_batch_of_notices_reads_what_it_needs_in_a_fixed_number_of_queries(cast, drain, relay):
    for contact, address in ((cast.anna, "anna@example.org"), (cast.bodil, "bodil@example.org")):
        wants_notices(contact, address)
    for _ in range(3):
        submit(cast, cast.anna)
        submit(cast, cast.bodil)
    drain()
    jobs = list(Job.objects.filter(kind=WorkKind.NOTIFY))
    with CaptureQueriesContext(connection) as queries:
        BATCH_HANDLERS[WorkKind.NOTIFY](jobs)
    assert len(relay.notices()) == 6
    # Messages, notices sent, exemptions; then lock, notices, INSERT, chain heads, INSERT, push endpoints, finish
    # the jobs: none per notice (a field left out of NOTICE_FIELDS would be loaded once per message).
    statements = [q["sql"] for q in queries.captured_queries
                  if q["sql"].split()[0] not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]
    assert len(statements) <= 10
