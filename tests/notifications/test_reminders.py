"""Reminders of unread legal notifications: one e-mail DIGITALPOST_LEGAL_REMINDER_DAYS after delivery if still
unread; reading it before then means no reminder. Time passes by making the delayed job due (a late clock)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from digitalpost.messages.models import Message
from digitalpost.notifications.models import Notice
from digitalpost.outbox.models import Job, WorkKind
from helpers.notices_world import MAILBOX_URL, kinds, submit, wants_notices
from helpers.pages import signed_in


@pytest.fixture
def legal(cast, drain, relay) -> Message:
    """A legal notification delivered to Anna, who wants e-mail notices; the new-mail notice is already sent."""
    wants_notices(cast.anna, "anna@example.org")
    message = submit(cast, cast.anna, legal_notification=True)
    drain()
    drain(WorkKind.NOTIFY)
    assert len(relay.notices("new-mail")) == 1
    message.refresh_from_db()
    return message


def reminder_job(message: Message) -> Job:
    return Job.objects.get(kind=WorkKind.NOTIFY, key=f"reminder:{message.pk}")


def days_pass(message: Message) -> None:
    """The clock reaches the reminder's due time."""
    job = reminder_job(message)
    assert job.run_after > timezone.now()
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())


def test_reminder_is_due_the_configured_days_after_delivery(legal, settings):
    assert settings.DIGITALPOST_LEGAL_REMINDER_DAYS == 3
    assert reminder_job(legal).run_after == legal.delivered_at + timedelta(days=3)


def test_unread_legal_notification_gets_one_reminder(legal, drain, relay):
    assert drain(WorkKind.NOTIFY) == 0  # not yet due
    days_pass(legal)
    assert drain(WorkKind.NOTIFY) == 1
    [(recipients, mail)] = relay.notices("reminder")
    assert recipients == ["anna@example.org"]
    body = mail.get_content()
    assert "Nordby Kommune" in body
    assert "retsvirkning" in body
    assert MAILBOX_URL in body
    assert "Afgørelse om boligstøtte" not in mail.as_string()
    assert kinds(legal)[-1] == "REMINDER_SENT"
    assert Notice.objects.filter(message=legal, kind=Notice.Kind.REMINDER).count() == 1
    assert drain(WorkKind.NOTIFY) == 0
    assert len(relay.notices("reminder")) == 1


def test_reading_before_the_reminder_cancels_it(cast, legal, drain, relay):
    assert signed_in(cast.anna).get(f"/post/{legal.pk}/").status_code == 200
    days_pass(legal)
    assert drain(WorkKind.NOTIFY) == 1
    assert relay.notices("reminder") == []
    assert "REMINDER_SENT" not in kinds(legal)
    assert reminder_job(legal).state == Job.State.DONE


def test_ordinary_messages_get_no_reminder(cast, drain, relay):
    wants_notices(cast.anna, "anna@example.org")
    message = submit(cast, cast.anna)
    drain()
    assert not Job.objects.filter(key=f"reminder:{message.pk}").exists()
