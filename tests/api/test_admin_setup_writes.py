"""Set-up writes through the admin API: profile, mailboxes, materials, subscription groups.

Each lands in the audit log as the token's user; caseworkers get 403 and another organisation 404, and
nothing changes for them.
"""

from __future__ import annotations

import pytest
from django.test import Client

from digitalpost.accounts.services import issue_admin_token
from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.models import Authority, AuthorityMailbox, Material, SubscriptionGroup

ADMIN = "/apis/v1/admin/organisations"


def admin_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_admin_token(user=user, name='test').secret}")


def send(client: Client, method: str, url: str, body: dict | None = None):
    return getattr(client, method)(url, body or {}, content_type="application/json")


def last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()


PROFILE = {"name": "Nordby Kommune", "kind": "KOMMUNE", "replyDeadlineDays": 7,
           "technicalContact": {"name": "IT-vagten", "email": "it@nordby.example", "phone": "70 10 20 30"},
           "businessContact": {"name": "", "email": "", "phone": ""}}


def test_the_profile_is_changed_and_audited_as_the_tokens_user(staff, cast):
    response = send(admin_client(staff.nora), "put", f"{ADMIN}/{cast.nordby.authority.cvr}", PROFILE)
    assert response.status_code == 200, response.content
    assert response.json()["technicalContact"]["email"] == "it@nordby.example"
    assert Authority.objects.get(cvr=cast.nordby.authority.cvr).reply_deadline_days == 7
    entry = last_entry()
    assert (entry.action, entry.actor_label, entry.actor_user_id) == ("organisation.changed", "nora", staff.nora.pk)


def test_an_invalid_profile_is_refused_with_the_field_named(staff, cast):
    response = send(admin_client(staff.nora), "put", f"{ADMIN}/{cast.nordby.authority.cvr}",
                    PROFILE | {"kind": "KLUB"})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "request.invalid"


def test_permissions_are_for_the_platform_operator_only(staff, cast):
    body = {"maySendMandatory": False, "maySendLegalNotification": False}
    url = f"{ADMIN}/{cast.nordby.authority.cvr}/permissions"
    assert send(admin_client(staff.nora), "put", url, body).status_code == 403
    assert send(admin_client(staff.otto), "put", url, body).status_code == 200
    assert not Authority.objects.get(cvr=cast.nordby.authority.cvr).may_send_mandatory
    assert last_entry().actor_label == "otto"


def test_the_organisation_switches_on_refusing_sha1_signatures_and_it_is_audited(staff, cast):
    url = f"{ADMIN}/{cast.nordby.authority.cvr}"
    client = admin_client(staff.nora)
    assert client.get(url).json()["refuseSha1Signatures"] is False

    response = send(client, "put", f"{url}/secure-mail", {"refuseSha1Signatures": True})

    assert response.status_code == 200, response.content
    assert response.json()["refuseSha1Signatures"] is True
    assert client.get(url).json()["refuseSha1Signatures"] is True
    assert Authority.objects.get(cvr=cast.nordby.authority.cvr).refuse_sha1_signatures is True
    entry = last_entry()
    assert (entry.action, entry.actor_label, entry.after) == (
        "organisation.secure_mail.changed", "nora", {"refuse_sha1_signatures": True})


def test_the_organisation_switches_off_gateway_addresses_and_an_omitted_switch_stays_as_it_was(staff, cast):
    url = f"{ADMIN}/{cast.nordby.authority.cvr}"
    client = admin_client(staff.nora)
    assert client.get(url).json()["acceptGatewayAddresses"] is True

    response = send(client, "put", f"{url}/secure-mail", {"refuseSha1Signatures": False,
                                                           "acceptGatewayAddresses": False})

    assert response.status_code == 200, response.content
    assert response.json()["acceptGatewayAddresses"] is False
    assert last_entry().after == {"refuse_sha1_signatures": False, "accepts_gateway_addresses": False}
    send(client, "put", f"{url}/secure-mail", {"refuseSha1Signatures": True})
    assert Authority.objects.get(cvr=cast.nordby.authority.cvr).accepts_gateway_addresses is False


def test_a_caseworker_and_another_organisation_cannot_change_the_secure_mail_policy(staff, cast):
    url = f"{ADMIN}/{cast.nordby.authority.cvr}/secure-mail"
    caseworker, intruder = admin_client(staff.niels), admin_client(staff.sofie)
    before = AuditEntry.objects.count()
    assert send(caseworker, "put", url, {"refuseSha1Signatures": True}).status_code == 403
    assert send(intruder, "put", url, {"refuseSha1Signatures": True}).status_code == 404
    assert Authority.objects.get(cvr=cast.nordby.authority.cvr).refuse_sha1_signatures is False
    assert AuditEntry.objects.count() == before


MAILBOX = {"name": "Byggesager", "topics": ["Byggetilladelse"], "metadataFields": [
    {"label": "Matrikelnummer", "required": True}], "isOpen": False}


def test_a_mailbox_is_created_changed_and_deleted(staff, cast):
    client = admin_client(staff.nora)
    base = f"{ADMIN}/{cast.nordby.authority.cvr}/mailboxes"
    created = send(client, "post", base, MAILBOX | {"parentId": str(staff.nordby_borgerservice.pk)})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["topics"] == ["Byggetilladelse"]
    assert body["metadataFields"] == [{"label": "Matrikelnummer", "required": True}]
    assert body["parentId"] == str(staff.nordby_borgerservice.pk)
    assert (last_entry().action, last_entry().actor_user_id) == ("mailbox.created", staff.nora.pk)

    changed = send(client, "put", f"{base}/{body['id']}", MAILBOX | {"name": "Byg og miljø", "isOpen": False})
    assert changed.status_code == 200, changed.content
    assert changed.json()["name"] == "Byg og miljø"
    assert last_entry().action == "mailbox.changed"

    assert client.delete(f"{base}/{body['id']}").status_code == 204
    assert not AuthorityMailbox.objects.filter(pk=body["id"]).exists()
    assert last_entry().action == "mailbox.deleted"


def test_an_open_mailbox_without_receiver_is_flagged(staff, cast):
    body = send(admin_client(staff.nora), "post", f"{ADMIN}/{cast.nordby.authority.cvr}/mailboxes",
                MAILBOX | {"isOpen": True}).json()
    assert body["problems"] == ["mailbox.no.receiver"]


def test_another_organisations_mailbox_cannot_be_the_parent(staff, cast):
    response = send(admin_client(staff.nora), "post", f"{ADMIN}/{cast.nordby.authority.cvr}/mailboxes",
                    MAILBOX | {"parentId": str(staff.sydby_borgerservice.pk)})
    assert response.status_code == 404
    assert response.json()["errorCode"] == "object.not.found"
    assert not AuthorityMailbox.objects.filter(name="Byggesager").exists()


def test_a_used_mailbox_is_not_deleted(staff, cast):
    send(admin_client(staff.nora), "post", f"{ADMIN}/{cast.nordby.authority.cvr}/mailboxes",
         MAILBOX | {"parentId": str(staff.nordby_borgerservice.pk)})
    response = admin_client(staff.nora).delete(
        f"{ADMIN}/{cast.nordby.authority.cvr}/mailboxes/{staff.nordby_borgerservice.pk}")
    assert response.status_code == 409
    assert response.json()["errorCode"] == "mailbox.in.use"


def test_materials_and_groups_are_created_changed_and_deleted(staff, cast):
    client = admin_client(staff.nora)
    base = f"{ADMIN}/{cast.nordby.authority.cvr}"
    material = send(client, "post", f"{base}/materials", {
        "name": "Afgørelse", "replyRule": "MAILBOX", "replyMailboxId": str(staff.nordby_borgerservice.pk)})
    assert material.status_code == 201, material.content
    material_id = material.json()["id"]
    assert material.json()["replyMailbox"]["name"] == "Borgerservice"
    group = send(client, "post", f"{base}/subscription-groups", {"name": "Byg", "materialIds": [material_id]})
    assert group.status_code == 201, group.content
    assert [m["id"] for m in group.json()["materials"]] == [material_id]

    changed = send(client, "put", f"{base}/materials/{material_id}", {"name": "Afgørelse", "replyRule": "NONE"})
    assert changed.json()["replyRule"] == "NONE"
    emptied = send(client, "put", f"{base}/subscription-groups/{group.json()['id']}", {"name": "Byg"})
    assert emptied.json()["materials"] == []

    assert client.delete(f"{base}/subscription-groups/{group.json()['id']}").status_code == 204
    assert client.delete(f"{base}/materials/{material_id}").status_code == 204
    assert not Material.objects.exists()
    assert not SubscriptionGroup.objects.exists()
    actions = list(AuditEntry.objects.filter(actor_user_id=staff.nora.pk).values_list("action", flat=True))
    assert actions == ["material.created", "subscription_group.created", "material.changed",
                       "subscription_group.changed", "subscription_group.deleted", "material.deleted"]


def test_a_standard_rule_without_a_standard_mailbox_is_refused(staff, cast):
    response = send(admin_client(staff.nora), "post", f"{ADMIN}/{cast.nordby.authority.cvr}/materials",
                    {"name": "Brev", "replyRule": "STANDARD"})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "standard.mailbox.required"


WRITES = [
    ("put", "", PROFILE),
    ("post", "/mailboxes", MAILBOX),
    ("post", "/materials", {"name": "Brev", "replyRule": "NONE"}),
    ("post", "/subscription-groups", {"name": "Gruppe"}),
    ("post", "/receiver-systems", {"name": "Pull", "kind": "REST_PULL"}),
    ("post", "/sender-systems", {"name": "Ny"}),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_caseworker_gets_403_and_nothing_changes(staff, cast, method, path, body):
    client = admin_client(staff.niels)
    before = AuditEntry.objects.count()
    response = send(client, method, f"{ADMIN}/{cast.nordby.authority.cvr}{path}", body)
    assert response.status_code == 403
    assert response.json()["errorCode"] == "role.not.allowed"
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_another_organisation_gets_404_and_nothing_changes(staff, cast, method, path, body):
    client = admin_client(staff.sofie)
    before = AuditEntry.objects.count()
    response = send(client, method, f"{ADMIN}/{cast.nordby.authority.cvr}{path}", body)
    assert response.status_code == 404
    assert response.json()["errorCode"] == "organisation.not.found"
    assert AuditEntry.objects.count() == before


def test_sydby_cannot_change_a_nordby_mailbox_under_its_own_cvr(staff, cast):
    url = f"{ADMIN}/{cast.sydby.authority.cvr}/mailboxes/{staff.nordby_borgerservice.pk}"
    client = admin_client(staff.sofie)
    assert send(client, "put", url, MAILBOX).status_code == 404
    assert client.delete(url).status_code == 404
    assert AuthorityMailbox.objects.get(pk=staff.nordby_borgerservice.pk).name == "Borgerservice"
