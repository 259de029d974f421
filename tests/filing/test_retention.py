"""Retention with a moved clock: `now` is passed in, nothing sleeps. Nothing goes early, everything due goes,
the blobs leave the store, and every timeline still verifies with its tombstone event."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from cast import PDF
from digitalpost.audit.models import AuditEntry
from digitalpost.audit.selectors import verify_audit_log
from digitalpost.cli.main import app
from digitalpost.core.lifecycle import EventKind
from digitalpost.filing.models import Placement, SearchEntry
from digitalpost.filing.selectors import DELETED
from digitalpost.filing.services.folders import move_messages
from digitalpost.filing.services.retention import Rule, run_retention, years_before
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Document, Message
from digitalpost.messages.selectors import MailboxViewer
from digitalpost.messages.services.events import verify_timeline
from digitalpost.registry.models import Contact
from helpers.pages import deliver_letter, signed_in


def blobs_of(message: Message) -> set[str]:
    return {message.memo_blob, *message.documents.values_list("blob", flat=True)}


def test_deleted_post_goes_after_30_days_and_not_a_moment_before(cast, drain):
    kept = deliver_letter(cast, drain, cast.anna, "Beholdes", text="Bliver")
    gone = deliver_letter(cast, drain, cast.anna, "Slettes", text="Forsvinder",
                          files=[("slettes.txt", "text/plain", b"Forsvinder"), ("bilag.pdf", "application/pdf", PDF)])
    held = blobs_of(gone)
    store = blob_store()
    assert all(store.exists(key) for key in held)
    deleted_at = timezone.now()
    move_messages(viewer=MailboxViewer(cast.anna.pk), message_ids=[gone.pk], target=DELETED, now=deleted_at)
    # What an inquiry records of the fields entered (for its forward) is content too.
    Message.objects.filter(pk=gone.pk).update(entered_fields=[["Sagsnummer", "S-1"]])

    early = run_retention(now=deleted_at + timedelta(days=30) - timedelta(seconds=1))
    assert early.total == 0
    assert all(store.exists(key) for key in held)

    audit_before = AuditEntry.objects.count()
    done = run_retention(now=deleted_at + timedelta(days=30))
    assert done.messages[Rule.DELETED] == 1
    assert done.total == 1
    assert done.documents == 2
    assert done.blobs_removed == 3
    assert not any(store.exists(key) for key in held)
    gone.refresh_from_db()
    assert gone.content_deleted_at == deleted_at + timedelta(days=30)
    assert gone.label == ""
    assert gone.entered_fields is None
    assert not Document.objects.filter(message=gone).exists()
    assert not SearchEntry.objects.filter(message=gone).exists()
    assert not Placement.objects.filter(message=gone).exists()
    # The timeline still proves every entry, and its last says what was removed, by hash.
    assert verify_timeline(gone) is None
    last = gone.events.order_by("-seq").first()
    assert last.kind == EventKind.MESSAGE_CONTENT_DELETED
    assert last.data["rule"] == "DELETED"
    assert last.data["memoSha256"] == gone.memo_sha256
    assert {d["sha256"] for d in last.data["documents"]} == held - {gone.memo_blob}
    # The sender still reads the timeline and the receipts; the recipient no longer finds the letter.
    timeline = cast.nordby.client().get(f"/apis/v1/messages/{gone.message_uuid}/events").json()
    assert timeline["contentDeletedAt"] is not None
    assert [e["kind"] for e in timeline["events"]][-1] == "MESSAGE_CONTENT_DELETED"
    assert gone.receipts.filter(status="COMPLETED").exists()
    assert signed_in(cast.anna).get(f"/post/{gone.pk}/").status_code == 404
    # Audited, and the audit chain holds.
    entry = AuditEntry.objects.filter(seq__gt=audit_before).get()
    assert entry.action == "retention.removed"
    assert entry.after["messages"] == 1
    assert verify_audit_log().intact
    # What the person kept, even far in the future, stays.
    assert run_retention(now=deleted_at + timedelta(days=3650)).total == 0
    kept.refresh_from_db()
    assert kept.content_deleted_at is None
    assert all(store.exists(key) for key in blobs_of(kept))


def test_a_blob_another_letter_still_holds_stays(cast, drain):
    shared = [("fælles.pdf", "application/pdf", PDF)]
    annas = deliver_letter(cast, drain, cast.anna, "Nyhedsbrev", files=shared)
    dortes = deliver_letter(cast, drain, cast.dorte, "Nyhedsbrev", files=shared)
    pdf_key = annas.documents.get().blob
    assert dortes.documents.get().blob == pdf_key
    now = timezone.now()
    move_messages(viewer=MailboxViewer(cast.anna.pk), message_ids=[annas.pk], target=DELETED, now=now)
    report = run_retention(now=now + timedelta(days=31))
    assert report.total == 1
    assert report.blobs_kept_shared == 1
    assert blob_store().read(pdf_key) == PDF
    assert signed_in(cast.dorte).get(f"/post/{dortes.pk}/documents/1/").status_code == 200


@pytest.mark.parametrize(("contact_name", "years", "rule"), [("anna", 5, Rule.DECEASED),
                                                             ("dorte", 10, Rule.CLOSED_COMPANY)])
def test_a_closed_mailbox_goes_its_years_after_closing(cast, drain, contact_name, years, rule):
    contact = getattr(cast, contact_name)
    letters = [deliver_letter(cast, drain, contact, f"Brev {n}") for n in range(3)]
    neighbour = deliver_letter(cast, drain, cast.bent if contact_name == "anna" else cast.anna, "Naboens")
    closed_on = date(2026, 2, 28)
    Contact.objects.filter(pk=contact.pk).update(status=Contact.Status.CLOSED, closed_on=closed_on)
    due_day = date(2026 + years, 2, 28)
    day_before = timezone.make_aware(timezone.datetime.combine(due_day - timedelta(days=1),
                                                               timezone.datetime.max.time()))
    assert run_retention(now=day_before).total == 0
    dry = run_retention(now=day_before + timedelta(days=1), dry_run=True)
    assert dry.messages[rule] == 3
    assert dry.documents == 3
    assert Message.objects.filter(content_deleted_at=None, pk__in=[m.pk for m in letters]).count() == 3
    done = run_retention(now=day_before + timedelta(days=1), batch=2)  # two batches
    assert done.messages[rule] == 3
    for letter in letters:
        letter.refresh_from_db()
        assert letter.content_deleted_at is not None
        assert verify_timeline(letter) is None
        assert not any(blob_store().exists(key) for key in blobs_of(letter) | {letter.memo_blob})
    neighbour.refresh_from_db()
    assert neighbour.content_deleted_at is None


def test_the_rules_count_from_the_register_and_switch_off(cast, drain, settings):
    letter = deliver_letter(cast, drain, cast.anna, "Brev")
    Contact.objects.filter(pk=cast.anna.pk).update(status=Contact.Status.CLOSED, closed_on=None)
    far = timezone.now() + timedelta(days=365 * 50)
    assert run_retention(now=far).total == 0  # closed, but the register gives no day: nothing to count from
    Contact.objects.filter(pk=cast.anna.pk).update(closed_on=date(2020, 1, 1))
    settings.DIGITALPOST_RETENTION_DECEASED_YEARS = 0
    assert run_retention(now=far).total == 0
    settings.DIGITALPOST_RETENTION_DECEASED_YEARS = 5
    assert run_retention(now=far).total == 1
    letter.refresh_from_db()
    assert letter.content_deleted_at == far


def test_years_before_handles_leap_days():
    assert years_before(date(2028, 2, 29), 5) == date(2023, 2, 28)
    assert years_before(date(2031, 3, 1), 5) == date(2026, 3, 1)


def deleted_a_month_ago(cast, drain) -> Message:
    letter = deliver_letter(cast, drain, cast.anna, "Brev")
    move_messages(viewer=MailboxViewer(cast.anna.pk), message_ids=[letter.pk], target=DELETED,
                  now=timezone.now() - timedelta(days=31))
    return letter


def content_removed(letter: Message) -> bool:
    letter.refresh_from_db()
    return letter.content_deleted_at is not None


def test_the_command_reports_a_dry_run_and_a_run(cast, drain):
    letter = deleted_a_month_ago(cast, drain)
    dry = CliRunner().invoke(app, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove: 1 messages" in dry.output
    assert not content_removed(letter)
    done = CliRunner().invoke(app, ["retention", "run"])
    assert done.exit_code == 0, done.output
    assert "removed: 1 messages" in done.output
    assert content_removed(letter)


def test_the_scheduler_runs_retention_unless_it_is_switched_off(cast, drain):
    letter = deleted_a_month_ago(cast, drain)
    off = CliRunner().invoke(app, ["scheduler", "--once", "--retention-every", "0"])
    assert off.exit_code == 0, off.output
    assert not content_removed(letter)
    on = CliRunner().invoke(app, ["scheduler", "--once"])
    assert on.exit_code == 0, on.output
    assert "retention removed 1 messages" in on.output
    assert content_removed(letter)
