"""What a MitID sign-in means for the mailbox: claims, level of assurance, whose mailbox, and the session limits.

The protocol itself (state, nonce, PKCE, signature, audience, expiry) is driven against a real provider in
tests/e2e/test_browser_mailbox_sign_in.py; these tests cover the hub's own rules around it without a browser.
"""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Actor
from digitalpost.inbox.signin import (
    LAST_SEEN_KEY,
    SIGNED_IN_AT_KEY,
    SignedInPerson,
    check_assurance,
    mailbox_access_for,
)
from digitalpost.registry.models import CompanyMailboxAccess
from digitalpost.registry.services import grant_company_access
from helpers.pages import mailbox_session, signed_in

EID = "https://data.gov.dk/model/core/eid"
LOA = "https://data.gov.dk/concept/core/nsis/loa"


def person(**claims) -> SignedInPerson:
    return SignedInPerson.from_claims(claims)


def test_nemlogin_claim_names_are_the_defaults():
    found = person(**{f"{EID}/cprNumber": "0505851234", f"{EID}/fullName": "Anna Andersen", LOA: "Substantial"})
    assert (found.cpr, found.name, found.assurance, found.cvr) == ("0505851234", "Anna Andersen", "Substantial", None)


def test_claim_names_are_configurable(settings):
    settings.DIGITALPOST_OIDC_CLAIM_CPR = "dk:cpr"
    settings.DIGITALPOST_OIDC_CLAIM_LOA = "acr"
    found = person(**{"dk:cpr": "0505851234", "acr": "High"})
    assert (found.cpr, found.assurance) == ("0505851234", "High")


@pytest.mark.parametrize(("given", "required", "allowed"), [
    ("Substantial", "Substantial", True), ("High", "Substantial", True), ("Low", "Substantial", False),
    ("", "Substantial", False), ("Substantial", "High", False), ("low", "Low", True), ("something", "Low", False),
])
def test_level_of_assurance(settings, given, required, allowed):
    settings.DIGITALPOST_OIDC_MIN_LOA = required
    signed = person(**{LOA: given})
    if allowed:
        check_assurance(signed)
    else:
        with pytest.raises(DigitalPostError) as refused:
            check_assurance(signed)
        assert refused.value.code == ErrorCode.SIGNIN_LOA_TOO_LOW


def test_a_citizen_opens_her_own_mailbox_and_an_unknown_cpr_none(cast):
    assert mailbox_access_for(person(**{f"{EID}/cprNumber": cast.anna.number})).contact == cast.anna
    with pytest.raises(DigitalPostError) as refused:
        mailbox_access_for(person(**{f"{EID}/cprNumber": "0101019999"}))
    assert refused.value.code == ErrorCode.SIGNIN_NO_MAILBOX
    with pytest.raises(DigitalPostError) as refused:
        mailbox_access_for(person(**{f"{EID}/fullName": "Nobody"}))
    assert refused.value.code == ErrorCode.SIGNIN_CPR_MISSING


def employee(cast, employee_id: str, privileges: str = "") -> SignedInPerson:
    return person(**{f"{EID}/professional/cvr": cast.dorte.number, f"{EID}/professional/uuid/persistent": employee_id,
                     f"{EID}/privilegesIntermediate": privileges})


def test_a_company_employee_needs_the_companys_right(cast):
    with pytest.raises(DigitalPostError) as refused:
        mailbox_access_for(employee(cast, "urn:uuid:erik"))
    assert refused.value.code == ErrorCode.SIGNIN_COMPANY_ACCESS_MISSING
    grant_company_access(company=cast.dorte, employee_id="urn:uuid:erik", level="READ", actor=Actor("test"))
    access = mailbox_access_for(employee(cast, "urn:uuid:erik"))
    assert (access.contact, access.level, access.company_admin) == (cast.dorte, "READ", False)


def test_the_administrator_privilege_in_nemlogins_base64_xml_makes_an_administrator(cast, settings):
    xml = (f'<bpp:PrivilegeList xmlns:bpp="http://digst.dk/oiosaml/basic_privilege_profile"><PrivilegeGroup '
           f'Scope="urn:dk:gov:saml:cvrNumberIdentifier:{cast.dorte.number}"><Privilege>'
           f"{settings.DIGITALPOST_OIDC_COMPANY_ADMIN_PRIVILEGE}</Privilege></PrivilegeGroup></bpp:PrivilegeList>")
    access = mailbox_access_for(employee(cast, "urn:uuid:dorthe", base64.b64encode(xml.encode()).decode()))
    assert (access.level, access.company_admin) == ("READ_WRITE", True)
    other = base64.b64encode(b"<PrivilegeList><Privilege>urn:other</Privilege></PrivilegeList>").decode()
    with pytest.raises(DigitalPostError):
        mailbox_access_for(employee(cast, "urn:uuid:dorthe", other))


def test_granting_and_revoking_is_audited_under_the_company_and_only_for_companies(cast):
    from digitalpost.audit.models import AuditEntry
    from digitalpost.registry.services import revoke_company_access

    right = grant_company_access(company=cast.dorte, employee_id="urn:uuid:erik", employee_name="Erik",
                                 level="READ_WRITE", actor=Actor("dorthe"))
    revoke_company_access(access=right, actor=Actor("dorthe"))
    entries = list(AuditEntry.objects.filter(organisation=cast.dorte.number).values_list("action", "actor_label"))
    assert entries == [("company.access.granted", "dorthe"), ("company.access.revoked", "dorthe")]
    assert not CompanyMailboxAccess.objects.exists()
    with pytest.raises(DigitalPostError):
        grant_company_access(company=cast.anna, employee_id="urn:uuid:x", actor=Actor("x"))


def _age_session(client: Client, *, idle: float = 0, since_sign_in: float = 0) -> None:
    session = mailbox_session(client)
    session[LAST_SEEN_KEY] -= idle
    session[SIGNED_IN_AT_KEY] -= since_sign_in
    session.save()


@pytest.mark.parametrize(("idle", "since_sign_in"), [(16 * 60, 16 * 60), (60, 9 * 3600)])
def test_idle_and_absolute_limits_sign_out(cast, idle, since_sign_in):
    client = signed_in(cast.anna)
    assert client.get("/post/").status_code == 200
    _age_session(client, idle=idle, since_sign_in=since_sign_in)
    response = client.get("/post/")
    assert (response.status_code, response["Location"]) == (302, "/session-expired/")
    assert client.get("/post/")["Location"].startswith("/login/")  # the session is gone, not just refused once


def test_a_request_within_the_idle_limit_keeps_the_session(cast):
    client = signed_in(cast.anna)
    _age_session(client, idle=14 * 60, since_sign_in=14 * 60)
    assert client.get("/post/").status_code == 200
    _age_session(client, idle=14 * 60, since_sign_in=14 * 60)  # 28 minutes in, but never 15 idle
    assert client.get("/post/").status_code == 200


def test_a_page_view_writes_the_session_only_once_per_step_of_the_idle_limit(cast, settings):
    settings.DIGITALPOST_MAILBOX_IDLE_SECONDS = 15 * 60  # a note at most every 15 s
    client = signed_in(cast.anna)
    _age_session(client, idle=60)
    assert client.get("/post/").status_code == 200
    noted = mailbox_session(client)[LAST_SEEN_KEY]
    assert client.get("/post/").status_code == 200  # a moment later: nothing written
    assert mailbox_session(client)[LAST_SEEN_KEY] == noted
    _age_session(client, idle=20)
    assert client.get("/post/").status_code == 200
    assert mailbox_session(client)[LAST_SEEN_KEY] >= noted  # 20 s later: noted again


def test_signing_in_gives_a_new_session_id(cast, settings):
    settings.DEMO_MODE = True
    client = Client()
    client.post("/login/", {"contact": str(cast.anna.pk)})
    first = mailbox_session(client).session_key
    client.post("/login/", {"contact": str(cast.bent.pk)})
    assert mailbox_session(client).session_key != first
    assert not mailbox_session(client).exists(first)


def test_the_mailbox_and_the_portal_keep_separate_sessions(cast, staff, settings):
    """A caseworker who also reads her own mail in the same browser: signing in or out of one keeps the other."""
    settings.DEMO_MODE = True
    client = staff.client(staff.niels)
    portal = f"/portal/{cast.nordby.authority.cvr}/"
    assert client.get(portal).status_code == 200
    client.post("/login/", {"contact": str(cast.anna.pk)})
    assert client.get("/post/").status_code == 200
    assert client.get(portal).status_code == 200
    client.post("/logout/")
    assert client.get("/post/").status_code == 302
    assert client.get(portal).status_code == 200
    assert settings.DIGITALPOST_MAILBOX_SESSION_COOKIE != settings.SESSION_COOKIE_NAME


def test_refusal_pages_and_mailbox_sign_in_page_without_a_provider_outside_demo(settings):
    settings.DEMO_MODE = False
    settings.DIGITALPOST_OIDC_DISCOVERY_URL = ""
    assert Client().get("/login/").status_code == 404
    assert Client().get("/login/mitid/").status_code == 404


def test_demo_picker_is_labelled_and_only_in_demo_mode(settings, cast):
    settings.DEMO_MODE = True
    settings.DIGITALPOST_OIDC_DISCOVERY_URL = ""
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/login/").content.decode()
    assert "Demo sign-in (demo mode only)" in page
    assert 'id="mitid-sign-in"' not in page
