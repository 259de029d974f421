"""Systems through the admin API: sender systems (tokens shown once, allow-list, standard flag), receiver
systems, and secure addresses with their certificates checked at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from digitalpost.accounts.services import issue_admin_token
from digitalpost.audit.models import AuditEntry
from digitalpost.protocols import smime
from digitalpost.systems.models import ReceiverSystem, SecureAddress, SenderSystem

ADMIN = "/apis/v1/admin/organisations"
ADDRESS = "borgerservice@nordby.example"


def admin_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_admin_token(user=user, name='test').secret}")


def send(client: Client, method: str, url: str, body: dict | None = None):
    return getattr(client, method)(url, body or {}, content_type="application/json")


@pytest.fixture(scope="module")
def pki():
    now = datetime.now(UTC)
    ca = smime.make_dev_ca("Admin API test CA", now=now, days=365)
    address = smime.issue_certificate(ca, common_name="Nordby", now=now, days=90, emails=[ADDRESS])
    other = smime.issue_certificate(ca, common_name="Someone", now=now, days=90, emails=["x@elsewhere.example"])
    return ca, address, other


@pytest.fixture
def anchors(settings, tmp_path, pki):
    path = tmp_path / "anchors.pem"
    path.write_bytes(pki[0].certificate_pem)
    settings.DIGITALPOST_TRUST_ANCHORS = path
    return pki


@pytest.fixture
def nora(staff) -> Client:
    return admin_client(staff.nora)


def test_a_rest_sender_system_gets_a_token_once_that_works_on_the_sender_api(cast, staff, nora):
    base = f"{ADMIN}/{cast.nordby.authority.cvr}/sender-systems"
    created = send(nora, "post", base, {"name": "Fagsystem"})
    assert created.status_code == 201, created.content
    token = created.json()["token"]
    assert token.startswith("dp_")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/apis/v1/receipts").status_code == 200
    assert token not in nora.get(base).content.decode()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_user_id) == ("sender_system.created", staff.nora.pk)
    assert token not in str(entry.after)


def test_rotating_a_token_stops_the_old_one(cast, nora):
    url = f"{ADMIN}/{cast.nordby.authority.cvr}/sender-systems/{cast.nordby.system.pk}/token"
    response = nora.post(url)
    assert response.status_code == 201
    assert cast.nordby.client().get("/apis/v1/receipts").status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}").get("/apis/v1/receipts").status_code == 200


def test_the_ip_allowlist_is_replaced_and_a_bad_entry_named(cast, nora):
    url = f"{ADMIN}/{cast.nordby.authority.cvr}/sender-systems/{cast.nordby.system.pk}/ip-allowlist"
    ok = send(nora, "put", url, {"entries": ["192.0.2.10", "198.51.100.0/24"]})
    assert ok.json()["ipAllowlist"] == ["192.0.2.10", "198.51.100.0/24"]
    bad = send(nora, "put", url, {"entries": ["192.0.2.300"]})
    assert bad.status_code == 400
    assert bad.json()["errorCode"] == "ip.allowlist.invalid"
    assert "192.0.2.300" in bad.json()["detail"]


def test_the_standard_flag_moves_and_the_standard_cannot_be_deactivated(cast, nora):
    base = f"{ADMIN}/{cast.nordby.authority.cvr}/sender-systems"
    refused = send(nora, "put", f"{base}/{cast.nordby.system.pk}/active", {"isActive": False})
    assert refused.status_code == 409
    assert refused.json()["errorCode"] == "standard.sender.system.removal"
    new_id = send(nora, "post", base, {"name": "Nyt"}).json()["system"]["id"]
    assert nora.post(f"{base}/{new_id}/standard").json()["isStandard"] is True
    assert SenderSystem.objects.get(pk=cast.nordby.system.pk).is_standard is False
    assert send(nora, "put", f"{base}/{cast.nordby.system.pk}/active", {"isActive": False}).status_code == 200


def test_a_secure_mail_sender_without_certificate_is_refused(cast, nora, anchors):
    response = send(nora, "post", f"{ADMIN}/{cast.nordby.authority.cvr}/sender-systems",
                    {"name": "Sikker post", "channel": "SECURE_MAIL"})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "sender.certificate.required"


def test_a_secure_address_is_created_with_a_checked_certificate(cast, nora, anchors):
    _, address, _ = anchors
    response = send(nora, "post", f"{ADMIN}/{cast.nordby.authority.cvr}/secure-addresses",
                    {"email": ADDRESS, "certificatePem": address.certificate_pem.decode()})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == ADDRESS
    assert 88 <= body["certificate"]["daysToExpiry"] <= 90
    assert len(body["receiverSystems"]) == 1


def test_a_certificate_for_another_address_is_refused(cast, nora, anchors):
    _, _, other = anchors
    response = send(nora, "post", f"{ADMIN}/{cast.nordby.authority.cvr}/secure-addresses",
                    {"email": ADDRESS, "certificatePem": other.certificate_pem.decode()})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "certificate.email.mismatch"
    assert not SecureAddress.objects.exists()


def test_deleting_a_used_secure_address_is_refused_naming_the_mailboxes_unless_repointed(cast, staff, nora, anchors):
    _, address, _ = anchors
    cvr = cast.nordby.authority.cvr
    created = send(nora, "post", f"{ADMIN}/{cvr}/secure-addresses",
                   {"email": ADDRESS, "certificatePem": address.certificate_pem.decode()}).json()
    receiver_id = created["receiverSystems"][0]["id"]
    mailbox = nora.get(f"{ADMIN}/{cvr}/mailboxes/{staff.nordby_borgerservice.pk}").json()
    send(nora, "put", f"{ADMIN}/{cvr}/mailboxes/{mailbox['id']}",
         {"name": mailbox["name"], "topics": mailbox["topics"], "receiverSystemId": receiver_id})

    refused = nora.delete(f"{ADMIN}/{cvr}/secure-addresses/{created['id']}")
    assert refused.status_code == 409
    assert refused.json()["errorCode"] == "secure.address.in.use"
    assert "Borgerservice" in refused.json()["detail"]

    pull = send(nora, "post", f"{ADMIN}/{cvr}/receiver-systems", {"name": "Pull", "kind": "REST_PULL"}).json()
    done = nora.delete(f"{ADMIN}/{cvr}/secure-addresses/{created['id']}?repointTo={pull['receiver']['id']}")
    assert done.status_code == 200, done.content
    assert done.json()["repointedMailboxes"] == [{"id": mailbox["id"], "name": "Borgerservice"}]
    assert nora.get(f"{ADMIN}/{cvr}/mailboxes/{mailbox['id']}").json()["receiverSystem"]["name"] == "Pull"


def test_receivers_are_created_rotated_and_deleted(cast, nora):
    base = f"{ADMIN}/{cast.nordby.authority.cvr}/receiver-systems"
    pull = send(nora, "post", base, {"name": "Pull", "kind": "REST_PULL"})
    assert pull.status_code == 201
    assert pull.json()["token"]
    push = send(nora, "post", base, {"name": "Push", "kind": "REST_PUSH", "endpointUrl": "https://nordby.example/in"})
    assert push.status_code == 201
    assert push.json()["token"] is None
    plain = send(nora, "post", base, {"name": "Bad", "kind": "REST_PUSH", "endpointUrl": "http://nordby.example/"})
    assert plain.status_code == 400
    rotated = nora.post(f"{base}/{pull.json()['receiver']['id']}/token")
    assert rotated.status_code == 201
    assert rotated.json()["token"] != pull.json()["token"]
    assert nora.delete(f"{base}/{push.json()['receiver']['id']}").status_code == 204
    assert set(ReceiverSystem.objects.values_list("name", flat=True)) == {"Pull"}


def test_sydby_cannot_touch_nordbys_systems_under_its_own_cvr(cast, staff):
    sofie = admin_client(staff.sofie)
    base = f"{ADMIN}/{cast.sydby.authority.cvr}/sender-systems/{cast.nordby.system.pk}"
    assert sofie.post(f"{base}/token").status_code == 404
    assert send(sofie, "put", f"{base}/ip-allowlist", {"entries": []}).status_code == 404
    assert cast.nordby.client().get("/apis/v1/receipts").status_code == 200


def test_a_caseworker_cannot_rotate_a_token(cast, staff):
    url = f"{ADMIN}/{cast.nordby.authority.cvr}/sender-systems/{cast.nordby.system.pk}/token"
    assert admin_client(staff.niels).post(url).status_code == 403
    assert cast.nordby.client().get("/apis/v1/receipts").status_code == 200
