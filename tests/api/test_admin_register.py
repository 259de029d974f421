"""The contact register over the admin API: operators import CSV (all or nothing, audit-logged) and look contacts up;
nobody else even learns the routes exist."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from digitalpost.accounts.services import issue_admin_token
from digitalpost.audit.models import AuditEntry
from digitalpost.registry.models import Contact, ContactChange
from digitalpost.registry.services import grant_exemption

IMPORT = "/apis/v1/admin/register/import"
CONTACTS = "/apis/v1/admin/register/contacts/lookup"


def lookup(client: Client, **number: str):
    return client.post(CONTACTS, data=json.dumps(number), content_type="application/json")
HEADER = "id_type,number,name,status,address_line,postal_code,city\n"
GOOD = (HEADER
        + "CPR,010170-1234,Ida Iversen,REGISTERED,Skovvej 4,8000,Aarhus C\n"
        + "CPR,0202702345,Jens Juhl,EXEMPT,Torvet 2,5000,Odense C\n"
        + "CVR,12345674,Kiosk ApS,,Industrivej 9,7100,Vejle\n")


def admin_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_admin_token(user=user, name='test').secret}")


def post_csv(client: Client, text: str | bytes):
    return client.post(IMPORT, data=text, content_type="text/csv")


@pytest.fixture
def otto(staff) -> Client:
    return admin_client(staff.otto)


def test_an_operator_imports_a_file_and_it_is_audit_logged(otto, staff):
    response = post_csv(otto, GOOD)
    assert response.status_code == 200, response.content
    assert response.json() == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    jens = Contact.objects.get(number="0202702345")
    assert (jens.name, jens.status, jens.postal_code) == ("Jens Juhl", "EXEMPT", "5000")
    assert ContactChange.objects.filter(contact=jens, kind="REGISTERED").count() == 1
    entry = AuditEntry.objects.get(action="register.imported")
    assert (entry.organisation, entry.actor_label, entry.actor_user_id) == ("", "otto", staff.otto.pk)
    assert (entry.after["created"], entry.after["rows"]) == (3, 3)


def test_importing_the_same_file_again_changes_nothing_and_a_changed_row_updates(otto):
    post_csv(otto, GOOD)
    assert post_csv(otto, GOOD).json() == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3}
    changed = post_csv(otto, GOOD.replace("Ida Iversen,REGISTERED", "Ida Iversen,CLOSED"))
    assert changed.json() == {"rows": 3, "created": 0, "updated": 1, "unchanged": 2}
    assert Contact.objects.get(number="0101701234").status == "CLOSED"


def test_a_file_with_bad_lines_imports_nothing_and_names_every_bad_line(otto):
    text = GOOD + "CPR,3102851234,Februar Fejl,,,,\n" + "CVR,12345678,Forkert ApS,,,,\n" + \
        "CPR,0202702345,Jens igen,,,,\n"
    response = post_csv(otto, text)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["errorCode"] == "request.invalid"
    assert [p.split(":")[0] for p in body["problems"]] == ["line 5", "line 6", "line 7"]
    assert "also on line 3" in body["problems"][2]
    assert Contact.objects.filter(number__in=["0101701234", "0202702345"]).count() == 0
    assert not AuditEntry.objects.filter(action="register.imported").exists()


@pytest.mark.parametrize("text", [b"number,name\n0505851234,Anna\n", b"\xff\xfeid_type,number\n"])
def test_a_file_that_is_not_a_register_csv_is_refused(otto, text):
    response = post_csv(otto, text)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "request.invalid"


def test_an_operator_sees_one_contacts_status_address_and_exemptions(otto, cast):
    grant_exemption(contact=cast.anna, reason="NO_ACCESS", starts_on=timezone.localdate(), ends_on=None,
                    organisation=cast.nordby.authority.cvr)
    anna = lookup(otto, cprNumber=cast.anna.number)
    assert anna.status_code == 200, anna.content
    body = anna.json()
    assert (body["idType"], body["id"], body["name"]) == ("CPR", cast.anna.number, cast.anna.name)
    assert (body["status"], body["effectiveStatus"]) == ("REGISTERED", "EXEMPT")
    assert (body["addressLine"], body["postalCode"]) == ("Skolevej 1", "8000")
    assert [e["reason"] for e in body["activeExemptions"]] == ["NO_ACCESS"]
    carl = lookup(otto, cprNumber=cast.carl.number).json()
    assert carl["effectiveStatus"] == "CLOSED"
    dorte = lookup(otto, cvrNumber=cast.dorte.number).json()
    assert (dorte["idType"], dorte["status"]) == ("CVR", "REGISTERED")


def test_an_unknown_or_malformed_number_is_answered_with_a_code(otto):
    unknown = lookup(otto, cprNumber="0101011234")
    assert (unknown.status_code, unknown.json()["errorCode"]) == (404, "recipient.unknown")
    malformed = lookup(otto, cprNumber="12")
    assert malformed.status_code == 400
    neither = lookup(otto)
    assert (neither.status_code, neither.json()["errorCode"]) == (400, "request.invalid")


@pytest.mark.parametrize("who", ["nora", "niels", "sofie"])
def test_organisation_staff_get_404_and_nothing_is_imported(staff, cast, who):
    client = admin_client(getattr(staff, who))
    assert post_csv(client, GOOD).status_code == 404
    assert lookup(client, cprNumber=cast.anna.number).status_code == 404
    assert not Contact.objects.filter(number="0202702345").exists()


def test_without_a_token_the_register_answers_401(cast):
    assert post_csv(Client(), GOOD).status_code == 401
    assert lookup(Client(), cprNumber=cast.anna.number).status_code == 401


def test_the_cpr_number_is_never_in_the_url(otto, cast):
    assert otto.get(f"/apis/v1/admin/register/contacts?cprNumber={cast.anna.number}").status_code in (404, 405)
