"""Who signed in to the web mailbox, and the mailbox session that follows.

The OpenID Connect protocol is `hub.oidc`'s (Authlib). Here: what NemLog-in's claims mean for Digital Post — a
citizen by CPR number, a company employee by CVR number and their own professional identity (who then needs a
right given by the company, or the company's administrator privilege) — the level of assurance, and the
session's idle and absolute limits. The CPR number is used to find the mailbox and then dropped: it never goes
into the session, a URL, a log line or a page.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Actor
from digitalpost.hub.oidc import OidcProvider
from digitalpost.registry.models import CompanyMailboxAccess, Contact
from digitalpost.registry.selectors import get_company_access, get_contact

SESSION_KEY = "mailbox_contact_id"
ACCESS_KEY = "mailbox_access"  # READ or READ_WRITE
ADMIN_KEY = "mailbox_company_admin"  # the employee may give and take the company's rights
EMPLOYEE_KEY = "mailbox_employee"  # {"id", "name"} of a signed-in company employee
VIA_OIDC_KEY = "mailbox_via_oidc"
SIGNED_IN_AT_KEY = "mailbox_signed_in_at"
LAST_SEEN_KEY = "mailbox_last_seen"
# The power of attorney the signed-in citizen acts under (its id), when they switched into a grantor's mailbox.
# Checked against the register of powers on every request (inbox.views.viewer_required); never a CPR number.
ACTING_KEY = "mailbox_acting_power"
# How finely the session notes the last request, as a fraction of the idle limit (session_expired).
IDLE_NOTE_STEPS = 60

# NSIS levels of assurance, in NemLog-in's spelling, weakest first.
ASSURANCE_LEVELS = ("low", "substantial", "high")


def mailbox_provider() -> OidcProvider | None:
    """The citizens' identity provider (NemLog-in or a MitID broker), or None when none is configured."""
    if not settings.DIGITALPOST_OIDC_DISCOVERY_URL:
        return None
    return OidcProvider(
        name="mitid", discovery_url=settings.DIGITALPOST_OIDC_DISCOVERY_URL,
        client_id=settings.DIGITALPOST_OIDC_CLIENT_ID, client_secret=settings.DIGITALPOST_OIDC_CLIENT_SECRET,
        scopes=settings.DIGITALPOST_OIDC_SCOPES, clock_skew_seconds=settings.DIGITALPOST_OIDC_CLOCK_SKEW_SECONDS,
    )


@dataclass(frozen=True)
class SignedInPerson:
    """What the ID token said, read through the configured claim names."""

    cpr: str | None
    cvr: str | None
    employee_id: str | None
    name: str
    assurance: str
    privileges: str

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> SignedInPerson:
        def text(setting: str) -> str:
            value = claims.get(getattr(settings, setting), "")
            return " ".join(map(str, value)) if isinstance(value, list) else str(value or "").strip()

        return cls(cpr=text("DIGITALPOST_OIDC_CLAIM_CPR") or None, cvr=text("DIGITALPOST_OIDC_CLAIM_CVR") or None,
                   employee_id=text("DIGITALPOST_OIDC_CLAIM_EMPLOYEE_ID") or None,
                   name=text("DIGITALPOST_OIDC_CLAIM_NAME"), assurance=text("DIGITALPOST_OIDC_CLAIM_LOA"),
                   privileges=text("DIGITALPOST_OIDC_CLAIM_PRIVILEGES"))

    def has_privilege(self, privilege: str) -> bool:
        """NemLog-in sends privileges as base64-encoded XML (privilegesIntermediate); brokers often as plain text."""
        if not privilege or not self.privileges:
            return False
        if privilege in self.privileges:
            return True
        try:
            decoded = base64.b64decode(self.privileges, validate=True).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return False
        return privilege in decoded


def check_assurance(person: SignedInPerson) -> None:
    required = settings.DIGITALPOST_OIDC_MIN_LOA.strip().lower()
    given = person.assurance.strip().lower()
    if given not in ASSURANCE_LEVELS or ASSURANCE_LEVELS.index(given) < ASSURANCE_LEVELS.index(required):
        raise DigitalPostError(ErrorCode.SIGNIN_LOA_TOO_LOW)


@dataclass(frozen=True)
class MailboxAccess:
    contact: Contact
    level: str
    company_admin: bool = False
    employee_id: str | None = None
    employee_name: str = ""


def mailbox_access_for(person: SignedInPerson) -> MailboxAccess:
    """Whose mailbox the person may open, and how. A company employee needs the company's right (or privilege)."""
    if person.cvr and person.employee_id:
        company = get_contact(Contact.Kind.COMPANY, person.cvr)
        if company is None:
            raise DigitalPostError(ErrorCode.SIGNIN_NO_MAILBOX)
        if person.has_privilege(settings.DIGITALPOST_OIDC_COMPANY_ADMIN_PRIVILEGE):
            return MailboxAccess(company, CompanyMailboxAccess.Level.READ_WRITE, True, person.employee_id, person.name)
        right = get_company_access(company, person.employee_id)
        if right is None:
            raise DigitalPostError(ErrorCode.SIGNIN_COMPANY_ACCESS_MISSING)
        return MailboxAccess(company, right.level, right.is_administrator, person.employee_id,
                             person.name or right.employee_name)
    if not person.cpr:
        raise DigitalPostError(ErrorCode.SIGNIN_CPR_MISSING)
    citizen = get_contact(Contact.Kind.CITIZEN, person.cpr)
    if citizen is None:
        raise DigitalPostError(ErrorCode.SIGNIN_NO_MAILBOX)
    return MailboxAccess(citizen, CompanyMailboxAccess.Level.READ_WRITE)


def open_mailbox_session(session: SessionBase, access: MailboxAccess, *, via_oidc: bool) -> None:
    """A new session id, then the mailbox it opens (session fixation: nothing from before sign-in carries on)."""
    session.flush()
    now = time.time()
    session[SESSION_KEY] = str(access.contact.pk)
    session[ACCESS_KEY] = access.level
    session[ADMIN_KEY] = access.company_admin
    if access.employee_id:
        session[EMPLOYEE_KEY] = {"id": access.employee_id, "name": access.employee_name}
    session[VIA_OIDC_KEY] = via_oidc
    session[SIGNED_IN_AT_KEY] = now
    session[LAST_SEEN_KEY] = now


def session_expired(session: SessionBase, *, now: float | None = None) -> bool:
    """True when the mailbox session passed its idle or absolute limit; otherwise notes this request.

    A request is noted only when the last note is older than 1/IDLE_NOTE_STEPS of the idle limit (15 s of 15
    minutes): noting every request wrote the session — a committed UPDATE, an fsync on SQLite — on every page view.
    The session may so end up to that step before the idle limit, never after it.
    """
    now = time.time() if now is None else now
    signed_in_at = float(session.get(SIGNED_IN_AT_KEY, 0))
    last_seen = float(session.get(LAST_SEEN_KEY, 0))
    idle_limit = settings.DIGITALPOST_MAILBOX_IDLE_SECONDS
    if now - last_seen > idle_limit or now - signed_in_at > settings.DIGITALPOST_MAILBOX_ABSOLUTE_SECONDS:
        return True
    if now - last_seen >= idle_limit / IDLE_NOTE_STEPS:
        session[LAST_SEEN_KEY] = now
    return False


def session_contact_id(session: SessionBase) -> uuid.UUID | None:
    value = session.get(SESSION_KEY)
    return uuid.UUID(value) if value else None


def may_write(session: SessionBase) -> bool:
    return str(session.get(ACCESS_KEY, CompanyMailboxAccess.Level.READ_WRITE)) == CompanyMailboxAccess.Level.READ_WRITE


def may_hold_powers(session: SessionBase, own: Contact) -> bool:
    """Only a citizen signed in as themself gives or holds powers of attorney (not a company's employee)."""
    return own.kind == Contact.Kind.CITIZEN and not session.get(EMPLOYEE_KEY)


def session_actor(session: SessionBase) -> Actor:
    """The audit log's name for the signed-in person: the employee's professional identity, never a CPR."""
    employee = session.get(EMPLOYEE_KEY) or {}
    return Actor(f"mitid-employee:{employee.get('id', '?')} {employee.get('name', '')}".strip())
