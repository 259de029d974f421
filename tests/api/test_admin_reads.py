"""GET endpoints of the admin API: each lists or shows the organisation's objects, for its members with the
right role only. Sofie (Sydby) gets 404 for Nordby and for Nordby's objects under Sydby's CVR; niels
(caseworker) gets 403 for the set-up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from digitalpost.accounts.services import issue_admin_token
from digitalpost.authorities.models import Material
from digitalpost.authorities.services.materials import create_material, create_subscription_group
from digitalpost.protocols import smime
from digitalpost.systems.models import Certificate
from digitalpost.systems.services.receivers import create_secure_address

ADMIN = "/apis/v1/admin/organisations"
LISTS = ["", "/mailboxes", "/secure-addresses", "/sender-systems", "/receiver-systems", "/materials",
         "/subscription-groups", "/certificates"]


def admin_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_admin_token(user=user, name='test').secret}")


@pytest.fixture(scope="module")
def pki():
    now = datetime.now(UTC)
    ca = smime.make_dev_ca("Test CA", now=now, days=365)
    address = smime.issue_certificate(ca, common_name="Nordby Borgerservice", now=now, days=90,
                                      emails=["borgerservice@nordby.example"])
    return ca, address


@pytest.fixture
def setup(staff, cast, pki):
    """Nordby with a secure address (and its certificate and receiver system), a material and a group."""
    ca, address_cert = pki
    nordby = cast.nordby.authority
    receiver = create_secure_address(authority=nordby, email="borgerservice@nordby.example",
                                     certificate_pem=address_cert.certificate_pem, trust_anchors=[ca.certificate])
    material = create_material(authority=nordby, name="Afgørelse", reply_rule=Material.ReplyRule.MAILBOX,
                               reply_mailbox=staff.nordby_borgerservice)
    group = create_subscription_group(authority=nordby, name="Boligstøtte", materials=[material])
    return {
        "mailboxes": staff.nordby_borgerservice.pk, "secure-addresses": receiver.secure_address_id,
        "sender-systems": cast.nordby.system.pk, "receiver-systems": receiver.pk, "materials": material.pk,
        "subscription-groups": group.pk,
        "certificates": Certificate.objects.get(authority=nordby).pk,
    }


@pytest.mark.parametrize("path", LISTS)
def test_the_superadministrator_reads_every_list(setup, staff, cast, path):
    response = admin_client(staff.nora).get(f"{ADMIN}/{cast.nordby.authority.cvr}{path}")
    assert response.status_code == 200, response.content
    if path:
        assert len(response.json()) == 1


@pytest.mark.parametrize("kind", ["mailboxes", "secure-addresses", "sender-systems", "receiver-systems",
                                  "materials", "subscription-groups", "certificates"])
def test_the_superadministrator_reads_each_object(setup, staff, cast, kind):
    response = admin_client(staff.nora).get(f"{ADMIN}/{cast.nordby.authority.cvr}/{kind}/{setup[kind]}")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(setup[kind])


@pytest.mark.parametrize("path", [*LISTS, "/users", "/audit"])
def test_another_organisations_superadministrator_gets_404(setup, staff, cast, path):
    response = admin_client(staff.sofie).get(f"{ADMIN}/{cast.nordby.authority.cvr}{path}")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "organisation.not.found"
    assert "Nordby" not in response.content.decode()


@pytest.mark.parametrize("kind", ["mailboxes", "secure-addresses", "sender-systems", "receiver-systems",
                                  "materials", "subscription-groups", "certificates"])
def test_a_nordby_object_under_sydbys_cvr_is_not_found(setup, staff, cast, kind):
    response = admin_client(staff.sofie).get(f"{ADMIN}/{cast.sydby.authority.cvr}/{kind}/{setup[kind]}")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "object.not.found"


@pytest.mark.parametrize("path", [*LISTS, "/users", "/audit"])
def test_a_caseworker_gets_403_for_the_set_up(setup, staff, cast, path):
    response = admin_client(staff.niels).get(f"{ADMIN}/{cast.nordby.authority.cvr}{path}")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "role.not.allowed"


def test_my_organisations_lists_only_mine(staff, cast):
    assert admin_client(staff.sofie).get(ADMIN).json() == [{"cvr": cast.sydby.authority.cvr,
                                                            "name": "Sydby Kommune"}]
    assert {o["cvr"] for o in admin_client(staff.otto).get(ADMIN).json()} == {
        cast.nordby.authority.cvr, cast.sydby.authority.cvr}


def test_the_operator_reads_any_organisations_set_up_but_not_its_users(setup, staff, cast):
    client = admin_client(staff.otto)
    assert client.get(f"{ADMIN}/{cast.nordby.authority.cvr}/mailboxes").status_code == 200
    assert client.get(f"{ADMIN}/{cast.nordby.authority.cvr}/users").status_code == 403


def test_the_mailbox_shows_topics_and_receiver(setup, staff, cast):
    body = admin_client(staff.nora).get(f"{ADMIN}/{cast.nordby.authority.cvr}/mailboxes").json()
    assert body[0]["name"] == "Borgerservice"
    assert body[0]["topics"] == ["Pas", "Flytning"]


def test_the_secure_address_shows_its_certificate_expiry(setup, staff, cast):
    body = admin_client(staff.nora).get(f"{ADMIN}/{cast.nordby.authority.cvr}/secure-addresses").json()[0]
    assert body["email"] == "borgerservice@nordby.example"
    assert 88 <= body["certificate"]["daysToExpiry"] <= 90
    assert [r["id"] for r in body["receiverSystems"]] == [str(setup["receiver-systems"])]


def test_sender_systems_never_show_their_token(setup, staff, cast):
    response = admin_client(staff.nora).get(f"{ADMIN}/{cast.nordby.authority.cvr}/sender-systems")
    assert cast.nordby.token not in response.content.decode()
    assert "token_sha256" not in response.content.decode()
    assert response.json()[0]["isStandard"] is True


def test_users_list_members_with_their_roles_and_mailboxes(staff, cast):
    body = admin_client(staff.nora).get(f"{ADMIN}/{cast.nordby.authority.cvr}/users").json()
    roles = {member["username"]: member["roles"] for member in body}
    assert set(roles) == {"nora", "niels"}
    assert roles["niels"] == [{"role": "caseworker", "mailboxes": [
        {"id": str(staff.nordby_borgerservice.pk), "name": "Borgerservice"}]}]


def test_a_user_of_another_organisation_is_not_found(staff, cast):
    response = admin_client(staff.nora).get(f"{ADMIN}/{cast.nordby.authority.cvr}/users/sofie")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "user.not.found"


def test_a_malformed_object_id_is_refused_as_invalid(staff, cast):
    response = admin_client(staff.nora).get(f"{ADMIN}/{cast.nordby.authority.cvr}/mailboxes/not-a-uuid")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "request.invalid"

