"""GET /apis/v1/admin/organisations/{cvr}/doctor: the organisation's open findings in the shared JSON shape.

Nordby starts healthy (tests/helpers/doctor_world.py); a fault is made through the real services (the standard
mailbox's secure address gets a certificate with 10 days left) and examined.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from digitalpost.accounts.services import create_user, grant_role, issue_admin_token, make_operator
from digitalpost.core.roles import Role
from digitalpost.doctor.links import finding_json
from digitalpost.doctor.models import DoctorRun
from digitalpost.doctor.selectors import as_finding, latest_run, list_open_findings
from digitalpost.doctor.services import examine
from digitalpost.systems.services.receivers import renew_secure_address_certificate
from helpers.doctor_world import HealthyOrg, build_healthy

ADMIN = "/apis/v1/admin/organisations"


def admin_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_admin_token(user=user, name='test').secret}")


@pytest.fixture
def org(cast, settings) -> HealthyOrg:
    healthy = build_healthy(cast, settings)
    for username, authority, role in (("niels", healthy.authority, Role.CASEWORKER),
                                      ("sofie", cast.sydby.authority, Role.SUPERADMIN),
                                      ("ada", healthy.authority, Role.ADMIN)):
        user = create_user(username=username, full_name=username.title(), password="not-used-here")
        mailboxes = [healthy.mailbox] if role == Role.CASEWORKER else []
        grant_role(authority=authority, user=user, role=role, mailboxes=mailboxes)
    make_operator(user=create_user(username="otto", full_name="Otto", password="not-used-here"))
    return healthy


def user(username: str) -> User:
    return User.objects.get(username=username)


def break_address_certificate(org: HealthyOrg) -> str:
    address = renew_secure_address_certificate(address=org.receiver.secure_address,
                                               certificate_pem=org.pki.address_soon.certificate.pem,
                                               trust_anchors=(org.pki.base.ca.issued.certificate,))
    return str(address.certificate_id)


def url(org: HealthyOrg, query: str = "") -> str:
    return f"{ADMIN}/{org.authority.cvr}/doctor{query}"


def test_each_finding_has_the_shared_json_shape(org):
    cert_id = break_address_certificate(org)
    examine(org.authority)
    response = admin_client(user("nora")).get(url(org))
    assert response.status_code == 200
    body = response.json()
    rows = list_open_findings(org.authority)
    assert body["findings"] == [finding_json(org.authority.cvr, as_finding(row)) for row in rows]
    mine = next(f for f in body["findings"] if f["subject"]["id"] == cert_id)
    assert (mine["code"], mine["severity"], mine["stage"]) == ("certificate.expiring", "critical", "14")
    assert mine["organisation"] == org.authority.cvr
    assert mine["subject"]["kind"] == "certificate"
    assert mine["fixPath"] == f"/portal/{org.authority.cvr}/certificates/"
    assert mine["runbook"] == "docs/runbooks/certificate.expiring.md"
    assert isinstance(mine["facts"]["daysLeft"], int)


def test_the_summary_counts_open_findings_and_checked_at_is_the_latest_run(org):
    break_address_certificate(org)
    examine(org.authority)
    body = admin_client(user("nora")).get(url(org)).json()
    assert set(body) == {"cvr", "checkedAt", "summary", "findings"}
    assert body["cvr"] == org.authority.cvr
    severities = [f["severity"] for f in body["findings"]]
    assert body["summary"] == {s: severities.count(s) for s in ("critical", "warning", "info")}
    assert body["summary"]["critical"] >= 1
    # JSON times carry milliseconds
    assert abs(datetime.fromisoformat(body["checkedAt"]) - latest_run(org.authority).at) < timedelta(milliseconds=1)
    rank = {"critical": 0, "warning": 1, "info": 2}
    assert severities == sorted(severities, key=rank.__getitem__)  # most urgent first


def test_before_any_examination_there_is_nothing_and_no_time(org):
    body = admin_client(user("nora")).get(url(org)).json()
    assert body == {"cvr": org.authority.cvr, "checkedAt": None,
                    "summary": {"critical": 0, "warning": 0, "info": 0}, "findings": []}


def test_refresh_examines_first(org):
    cert_id = break_address_certificate(org)
    for username in ("nora", "ada"):
        before = DoctorRun.objects.filter(authority=org.authority).count()
        body = admin_client(user(username)).get(url(org, "?refresh=true")).json()
        assert DoctorRun.objects.filter(authority=org.authority).count() == before + 1
        assert cert_id in [f["subject"]["id"] for f in body["findings"]]
        assert body["checkedAt"] is not None


def test_refresh_needs_the_right_to_edit_the_set_up(org):
    otto = admin_client(user("otto"))
    assert otto.get(url(org)).status_code == 200  # the operator may look
    refused = otto.get(url(org, "?refresh=true"))
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "role.not.allowed"
    assert "edit-setup" in refused.json()["detail"]
    assert not DoctorRun.objects.filter(authority=org.authority).exists()


def test_intruders_and_caseworkers_are_refused(org):
    break_address_certificate(org)
    examine(org.authority)
    assert admin_client(user("sofie")).get(url(org)).status_code == 404
    assert admin_client(user("sofie")).get(url(org, "?refresh=true")).status_code == 404
    assert admin_client(user("niels")).get(url(org)).status_code == 403
    assert admin_client(user("niels")).get(url(org, "?refresh=true")).status_code == 403
    assert Client().get(url(org)).status_code == 401


def test_the_operation_is_in_the_served_openapi_document(client, db):
    doc = client.get("/apis/v1/openapi.json").json()
    operation = doc["paths"][f"{ADMIN}/{{cvr}}/doctor"]["get"]
    assert operation["security"] == [{"AdminTokenAuth": []}]
    assert {"200", "401", "403", "404"} <= set(operation["responses"])
    assert "refresh" in [p["name"] for p in operation["parameters"]]
    schemas = doc["components"]["schemas"]
    assert set(schemas["DoctorReportOut"]["properties"]) == {"cvr", "checkedAt", "summary", "findings"}
    assert set(schemas["FindingOut"]["properties"]) == {"code", "severity", "organisation", "subject", "why",
                                                        "fix", "fixPath", "stage", "facts", "runbook"}
