"""Alert e-mails: new and escalated findings reach the superadministrators and the technical contact, through a
real SMTP relay (aiosmtpd on 127.0.0.1), never twice in 24 hours, and a relay that is down is logged and retried."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from digitalpost.accounts.services import create_user, grant_role
from digitalpost.core.roles import Role
from digitalpost.doctor.alerts import NO_RECIPIENTS, send_alerts
from digitalpost.doctor.links import fix_url
from digitalpost.doctor.models import SentAlert
from digitalpost.doctor.selectors import as_finding, open_findings
from digitalpost.doctor.services import examine
from helpers.doctor_world import HealthyOrg
from helpers.smtp_relay import RecordingRelay, free_port


@pytest.fixture
def relay(smtp_relay):
    return smtp_relay


PEOPLE = ["it@nordby.localhost", "nils@nordby.localhost", "nora@nordby.localhost"]


def sender_cert_finding(examined, org: HealthyOrg):
    cert_id = str(org.standard_sender.certificate_id)
    return [(f, c) for f, c in examined.findings if f.subject.id == cert_id]


def run(org: HealthyOrg, *, days_before_expiry: float):
    """Examine at a frozen time relative to the standard sender's certificate expiry, then send the alerts due.

    Returns the examination and the alerts about that certificate (other findings at that time are not ours).
    """
    at = org.standard_sender.certificate.not_after - timedelta(days=days_before_expiry)
    examined = examine(org.authority, now=at)
    fingerprints = {f.fingerprint for f, _ in sender_cert_finding(examined, org)}
    return examined, [a for a in send_alerts(examined) if a.fingerprint in fingerprints]


def mails_about(relay: RecordingRelay, org: HealthyOrg) -> list[tuple[list[str], Any]]:
    name = org.standard_sender.certificate.subject
    return [(rcpts, mail) for rcpts, mail in relay.mails if name in mail["Subject"]]


def test_a_new_finding_is_mailed_to_the_superadministrators_and_the_technical_contact(healthy: HealthyOrg, relay):
    sydby = create_user(username="sofie", full_name="Sofie", email="sofie@sydby.localhost", password="x")
    grant_role(authority=healthy.authority.__class__.objects.get(cvr="55660018"), user=sydby, role=Role.SUPERADMIN)

    examined, sent = run(healthy, days_before_expiry=25)

    ((finding, _),) = sender_cert_finding(examined, healthy)
    assert [(a.code, a.stage, a.delivered, a.recipients) for a in sent] == [
        ("certificate.expiring", "30", True, PEOPLE)]
    ((rcpts, mail),) = mails_about(relay, healthy)
    assert rcpts == PEOPLE  # Sydby's superadministrator never hears about Nordby
    assert "WARNING" in mail["Subject"]
    assert "ADVARSEL" in mail["Subject"]
    assert "Nordby Kommune" in mail["Subject"]
    assert finding.subject.name in mail["Subject"]
    body = mail.get_content()
    assert finding.why in body
    assert finding.fix in body
    assert fix_url(healthy.authority.cvr, finding) in body
    assert "Hvorfor" in body
    assert "Why it matters" in body
    assert mail["Auto-Submitted"] == "auto-generated"


def test_the_same_alert_is_not_sent_twice_within_24_hours_even_when_the_finding_comes_back(healthy, relay):
    assert len(run(healthy, days_before_expiry=25)[1]) == 1
    assert run(healthy, days_before_expiry=25 - 1 / 24)[1] == []  # still there an hour later: SAME, no mail
    examine(healthy.authority, now=timezone.now())  # fixed for a moment: resolved
    examined, sent = run(healthy, days_before_expiry=25 - 2 / 24)  # back two hours after the first alert
    assert [c.value for _, c in sender_cert_finding(examined, healthy)] == ["new"]
    assert sent == []
    examine(healthy.authority, now=timezone.now())
    _, sent = run(healthy, days_before_expiry=25 - 25 / 24)  # back again after more than 24 hours: mailed
    assert [a.delivered for a in sent] == [True]
    assert len(mails_about(relay, healthy)) == 2
    assert SentAlert.objects.filter(authority=healthy.authority, fingerprint=sent[0].fingerprint).count() == 2


def test_escalation_from_30_to_7_days_left_alerts_again_within_the_day(healthy: HealthyOrg, relay):
    _, first = run(healthy, days_before_expiry=25)
    _, same = run(healthy, days_before_expiry=24.9)
    _, escalated = run(healthy, days_before_expiry=6)  # frozen clocks: the stage moves faster than a day here
    assert [(a.stage, a.severity) for a in first] == [("30", "warning")]
    assert same == []
    assert [(a.stage, a.severity) for a in escalated] == [("7", "critical")]
    last = mails_about(relay, healthy)[-1][1]["Subject"]
    assert "CRITICAL" in last
    assert "KRITISK" in last


def test_a_relay_that_is_down_is_logged_and_the_alert_is_retried_at_the_next_run(healthy, relay, settings):
    settings.DIGITALPOST_SMTP_RELAY_PORT = free_port()  # nothing listens there

    _, sent = run(healthy, days_before_expiry=25)

    ((alert,),) = [sent]
    assert (alert.delivered, alert.recipients) == (False, PEOPLE)
    assert alert.error  # the connection error, for the log
    assert relay.mails == []
    settings.DIGITALPOST_SMTP_RELAY_PORT = relay.port  # the relay is back
    _, retried = run(healthy, days_before_expiry=25 - 1 / 24)
    assert [a.delivered for a in retried] == [True]
    assert len(mails_about(relay, healthy)) == 1
    assert run(healthy, days_before_expiry=25 - 2 / 24)[1] == []  # delivered now: not again


def test_an_organisation_nobody_can_be_told_about_is_logged_once_not_every_run(healthy, relay):
    from digitalpost.accounts.models import Membership
    from digitalpost.authorities.services.organisation import update_authority_profile

    Membership.objects.filter(authority=healthy.authority).delete()
    update_authority_profile(authority=healthy.authority, name=healthy.authority.name, kind=healthy.authority.kind,
                             technical_contact_name="", technical_contact_email="")
    healthy.authority.refresh_from_db()
    examined = examine(healthy.authority, now=timezone.now())
    sent = send_alerts(examined)
    assert sent
    assert all(a.error == NO_RECIPIENTS and not a.delivered for a in sent)
    assert relay.mails == []
    again = send_alerts(examine(healthy.authority, now=timezone.now() + timedelta(hours=1)))
    assert again == []
    assert {as_finding(row).fingerprint for row in open_findings(healthy.authority)} == {a.fingerprint for a in sent}


def test_a_finding_first_stored_by_an_examination_without_alerts_is_mailed_at_the_next_run(healthy, relay):
    at = healthy.standard_sender.certificate.not_after - timedelta(days=25)
    examine(healthy.authority, now=at)  # e.g. "Examine now" in the portal: stores, does not mail
    _, sent = run(healthy, days_before_expiry=25)  # the scheduler: nothing NEW or ESCALATED, yet never told
    assert [(a.code, a.stage, a.delivered) for a in sent] == [("certificate.expiring", "30", True)]
    _, again = run(healthy, days_before_expiry=24.5)
    assert again == []
    assert len(mails_about(relay, healthy)) == 1


def test_an_escalation_first_seen_by_examine_now_is_still_mailed_by_the_scheduler(healthy, relay):
    _, first = run(healthy, days_before_expiry=25)
    assert [(a.stage, a.delivered) for a in first] == [("30", True)]
    at = healthy.standard_sender.certificate.not_after - timedelta(days=6)
    examine(healthy.authority, now=at)  # "Examine now": stores the 7-day stage, mails nothing
    _, escalated = run(healthy, days_before_expiry=5.9)
    assert [(a.stage, a.severity, a.delivered) for a in escalated] == [("7", "critical", True)]
    assert run(healthy, days_before_expiry=5.8)[1] == []
    assert len(mails_about(relay, healthy)) == 2
