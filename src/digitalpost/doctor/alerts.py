"""Alert e-mails: tell an organisation's superadministrators and technical contact what the doctor found.

After an examination, every finding that is NEW or ESCALATED (a more urgent severity or stage, e.g. 30 → 7 days
left) is mailed — one plain-text e-mail (Danish and English) per finding — through the same SMTP relay the hub
forwards inquiries through. `SentAlert` rows are both the log and the memory: the same alert (fingerprint +
stage) is never delivered twice within 24 hours, even across runs and even if the finding flapped; an alert the
relay did not take (delivered=False) is tried again at the next run. No "all clear" mail is sent when a finding
is resolved: the portal shows it, and a quiet inbox is the all clear. Not for: finding anything (checks),
storing findings (services.examine) or probing (probe.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from digitalpost.accounts.selectors import list_members
from digitalpost.authorities.models import Authority
from digitalpost.core.findings import Finding, Severity
from digitalpost.core.roles import Role
from digitalpost.doctor.links import fix_url
from digitalpost.doctor.models import SentAlert
from digitalpost.doctor.services import Change, Examined, examine_all, stage_urgency
from digitalpost.hub.relay import send_via_relay

log = logging.getLogger(__name__)

QUIET_PERIOD = timedelta(hours=24)  # the same alert (fingerprint + stage) at most once in this period
NO_RECIPIENTS = "no recipients: the organisation has no superadministrator or technical contact with an e-mail"
SMTP_TIMEOUT_SECONDS = 30

_SEVERITY_DA = {Severity.CRITICAL: "KRITISK", Severity.WARNING: "ADVARSEL", Severity.INFO: "INFO"}
_KIND_DA = {
    "organisation": "organisation", "certificate": "certifikat", "sender_system": "afsendersystem",
    "secure_address": "sikker adresse", "receiver_system": "modtagersystem", "mailbox": "postkasse",
    "material": "materiale", "subscription_group": "tilmeldingsgruppe", "inquiry": "henvendelse",
}


@dataclass(frozen=True)
class Alert:
    """One alert e-mail, ready to send."""

    recipients: tuple[str, ...]
    subject: str
    body: str


def list_alert_recipients(authority: Authority) -> list[str]:
    """The superadministrators' e-mail addresses (active users) and the technical contact's, without repeats."""
    found = [m.user.email for m in list_members(authority).filter(role=Role.SUPERADMIN.value, user__is_active=True)]
    found.append(authority.technical_contact_email)
    unique: dict[str, str] = {}
    for address in found:
        address = address.strip()
        if address:
            unique.setdefault(address.lower(), address)
    return sorted(unique.values(), key=str.lower)


def compose_alert(authority: Authority, finding: Finding, recipients: list[str]) -> Alert:
    """The e-mail: subject with severity, organisation and object; the why, the fix and the portal link."""
    severity = finding.severity
    kind = finding.subject.kind.value
    subject = (f"[digitalpost] {_SEVERITY_DA[severity]} / {severity.value.upper()}: {authority.name} – "
               f"{finding.subject.name}")
    stage = f" ({finding.stage})" if finding.stage else ""
    link = fix_url(authority.cvr, finding)
    body = f"""\
Digital Post-lægen har fundet et problem hos {authority.name} (CVR {authority.cvr}).
The Digital Post doctor found a problem at {authority.name} (CVR {authority.cvr}).

Alvor / Severity:  {_SEVERITY_DA[severity].lower()} / {severity.value}
Objekt / Object:   {_KIND_DA.get(kind, kind)} / {kind.replace("_", " ")}: {finding.subject.name}
Kode / Code:       {finding.code}{stage}

Hvorfor det betyder noget / Why it matters:
{finding.why}

Sådan retter I det / How to fix it:
{finding.fix}

Åbn / Open: {link}
Vejledning / Runbook: docs/runbooks/{finding.code}.md

--
Du får denne mail, fordi du er superadministrator eller teknisk kontakt for {authority.name}.
Den samme advarsel sendes højst én gang i døgnet; den sendes igen, hvis problemet bliver mere alvorligt.
You receive this because you are a superadministrator or the technical contact of {authority.name}.
The same alert is sent at most once a day; it is sent again if the problem becomes more urgent.
"""
    return Alert(recipients=tuple(recipients), subject=subject, body=body)


def render_alert(alert: Alert, *, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = _from_address()
    message["To"] = ", ".join(alert.recipients)
    message["Subject"] = alert.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=settings.DIGITALPOST_HUB_DOMAIN)
    message["Auto-Submitted"] = "auto-generated"
    message["X-DigitalPost-Alert"] = "doctor"
    message.set_content(alert.body, charset="utf-8")
    return message


def _from_address() -> str:
    return str(getattr(settings, "DIGITALPOST_ALERT_FROM", "") or settings.DIGITALPOST_HUB_ADDRESS)


def send_alert_mail(alert: Alert, *, now: datetime) -> str:
    """Hand the alert to the relay; the relay's answer, or an exception (SMTPException, OSError) naming why not."""
    return send_via_relay(render_alert(alert, now=now), sender=_from_address(), recipients=alert.recipients,
                          timeout=SMTP_TIMEOUT_SECONDS)


def _last_attempt(authority: Authority, finding: Finding) -> SentAlert | None:
    return (SentAlert.objects.filter(authority=authority, fingerprint=finding.fingerprint)
            .order_by("-sent_at", "-pk").first())


def _last_told(authority: Authority, finding: Finding) -> SentAlert | None:
    """The last alert about this finding that reached someone, or found nobody to reach (nothing more to do)."""
    return (SentAlert.objects.filter(authority=authority, fingerprint=finding.fingerprint)
            .filter(Q(delivered=True) | Q(error=NO_RECIPIENTS)).order_by("-sent_at", "-pk").first())


def _more_urgent(finding: Finding, alert: SentAlert) -> bool:
    return (finding.severity.rank > Severity(alert.severity).rank
            or stage_urgency(finding.stage) > stage_urgency(alert.stage))


def _delivered_recently(authority: Authority, finding: Finding, now: datetime) -> bool:
    return SentAlert.objects.filter(
        authority=authority, fingerprint=finding.fingerprint, stage=finding.stage,
        severity=finding.severity.value, delivered=True, sent_at__gt=now - QUIET_PERIOD, sent_at__lte=now,
    ).exists()


def is_alert_due(authority: Authority, finding: Finding, change: Change, now: datetime) -> bool:
    """New or escalated findings alert; an alert the relay did not take is retried; nothing twice in 24 hours.

    "The same alert" is the same finding (fingerprint) at the same stage and severity: a move to a more urgent
    stage or severity is a new alert even within the 24 hours.
    """
    if _delivered_recently(authority, finding, now):
        return False
    if change in (Change.NEW, Change.ESCALATED):
        return True
    last = _last_attempt(authority, finding)
    told = _last_told(authority, finding)
    if last is None or told is None or _more_urgent(finding, told):
        # Found, or found worse, by an examination that sent no alerts (the portal's "Examine now", the demo's
        # load): the people who must act have not been told this yet.
        return last is None or last.delivered or last.error != NO_RECIPIENTS or _more_urgent(finding, last)
    # The relay failed last time: try again. With nobody to tell, wait for an escalation instead of logging
    # the same "no recipients" line every run.
    return not last.delivered and last.stage == finding.stage and last.error != NO_RECIPIENTS


def record_alert(*, authority: Authority, finding: Finding, recipients: list[str], now: datetime, delivered: bool,
                 error: str = "") -> SentAlert:
    """The log line of one alert (one INSERT, so no transaction of its own is needed)."""
    return SentAlert.objects.create(
        authority=authority, fingerprint=finding.fingerprint, code=finding.code, severity=finding.severity.value,
        stage=finding.stage, recipients=recipients, sent_at=now, delivered=delivered, error=error[:2000],
    )


def send_alerts(examined: Examined, *, now: datetime | None = None) -> list[SentAlert]:
    """Alert on what one examination found; returns the SentAlert rows written (delivered or not).

    Never raises for a relay failure: it is logged on the row and retried at the next run.
    """
    now = now or examined.at
    authority = examined.authority
    due = [finding for finding, change in examined.findings if is_alert_due(authority, finding, change, now)]
    if not due:
        return []
    recipients = list_alert_recipients(authority)
    sent = []
    for finding in due:
        if not recipients:
            sent.append(record_alert(authority=authority, finding=finding, recipients=[], now=now,
                                     delivered=False, error=NO_RECIPIENTS))
            continue
        try:
            answer = send_alert_mail(compose_alert(authority, finding, recipients), now=now)
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.warning("doctor alert %s for %s not delivered: %s", finding.fingerprint, authority.cvr, exc)
            sent.append(record_alert(authority=authority, finding=finding, recipients=recipients, now=now,
                                     delivered=False, error=f"{type(exc).__name__}: {exc}"))
            continue
        error = answer.partition("; refused: ")[2]
        sent.append(record_alert(authority=authority, finding=finding, recipients=recipients, now=now,
                                 delivered=True, error=f"refused: {error}" if error else ""))
    return sent


@dataclass(frozen=True)
class DoctorPass:
    examined: list[Examined]
    alerts: list[SentAlert]


def examine_and_alert(*, now: datetime | None = None) -> DoctorPass:
    """Examine every organisation and send the alerts due (the scheduler's job, and `doctor --alert`)."""
    now = now or timezone.now()
    examined = examine_all(now=now)
    alerts = [alert for one in examined for alert in send_alerts(one, now=now)]
    return DoctorPass(examined=examined, alerts=alerts)
