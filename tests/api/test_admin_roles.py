"""PUT/DELETE /apis/v1/admin/organisations/{cvr}/users/{username}/roles/{role}: granting and revoking roles
through the admin API, audited as the token's user, with the portal's permissions."""

from __future__ import annotations

from django.test import Client

from digitalpost.accounts.models import Membership
from digitalpost.accounts.services import create_user, issue_admin_token
from digitalpost.audit.models import AuditEntry
from digitalpost.audit.selectors import verify_audit_log

ADMIN = "/apis/v1/admin/organisations"


def admin_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_admin_token(user=user, name='test').secret}")


def role_url(cvr: str, username: str, role: str) -> str:
    return f"{ADMIN}/{cvr}/users/{username}/roles/{role}"


def test_granting_a_members_new_role_is_audited_as_the_tokens_user(staff, cast):
    cvr = cast.nordby.authority.cvr
    response = admin_client(staff.nora).put(role_url(cvr, "niels", "administrator"), {},
                                            content_type="application/json")
    assert response.status_code == 200, response.content
    assert {r["role"] for r in response.json()["roles"]} == {"caseworker", "administrator"}
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.organisation) == ("role.granted", cvr)
    assert (entry.actor_label, entry.actor_user_id) == ("nora", staff.nora.pk)
    assert entry.after == {"user": "niels", "role": "administrator", "mailboxes": []}
    assert verify_audit_log().intact


def test_a_user_of_another_organisation_is_not_found_like_an_unknown_one(staff, cast):
    """Roles are granted to members only; everyone else joins by invitation. Sydby's superadministrator learns
    nothing about Nordby's nora and cannot enrol her."""
    create_user(username="karen", full_name="Karen Krog")
    sofie = admin_client(staff.sofie)
    answers = [sofie.put(role_url(cast.sydby.authority.cvr, name, "caseworker"), {},
                         content_type="application/json") for name in ("nora", "karen", "nobody")]
    assert {a.status_code for a in answers} == {404}
    assert {a.json()["errorCode"] for a in answers} == {"user.not.found"}
    assert "Nora Nielsen" not in str([a.content for a in answers])
    assert not Membership.objects.filter(authority=cast.sydby.authority, user__username__in=["nora", "karen"]).exists()
    assert sofie.post(f"{ADMIN}/{cast.sydby.authority.cvr}/users", {"username": "nora", "role": "caseworker"},
                      content_type="application/json").status_code == 405


def test_granting_again_changes_a_caseworkers_mailboxes(staff, cast):
    response = admin_client(staff.nora).put(role_url(cast.nordby.authority.cvr, "niels", "caseworker"), {},
                                            content_type="application/json")
    assert response.status_code == 200
    assert response.json()["roles"][0]["mailboxes"] == []
    assert AuditEntry.objects.order_by("-seq").first().action == "role.changed"


def test_another_organisations_mailbox_cannot_be_given(staff, cast):
    response = admin_client(staff.nora).put(
        role_url(cast.nordby.authority.cvr, "niels", "caseworker"),
        {"mailboxIds": [str(staff.sydby_borgerservice.pk)]}, content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["errorCode"] == "object.not.found"
    assert list(Membership.objects.get(user=staff.niels).mailboxes.all()) == [staff.nordby_borgerservice]


def test_an_unknown_role_is_refused_naming_the_roles(staff, cast):
    response = admin_client(staff.nora).put(role_url(cast.nordby.authority.cvr, "niels", "operator"), {},
                                            content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "request.invalid"
    assert "superadministrator" in response.json()["detail"]


def test_an_unknown_user_is_not_found(staff, cast):
    response = admin_client(staff.nora).put(role_url(cast.nordby.authority.cvr, "nobody", "administrator"), {},
                                            content_type="application/json")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "user.not.found"


def test_a_caseworker_may_not_grant_roles(staff, cast):
    client = admin_client(staff.niels)
    before = AuditEntry.objects.count()
    response = client.put(role_url(cast.nordby.authority.cvr, "niels", "superadministrator"),
                                             {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "role.not.allowed"
    assert AuditEntry.objects.count() == before
    assert not Membership.objects.filter(user=staff.niels, role="superadministrator").exists()


def test_another_organisations_superadministrator_cannot_grant_in_nordby(staff, cast):
    response = admin_client(staff.sofie).put(role_url(cast.nordby.authority.cvr, "sofie", "superadministrator"),
                                             {}, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "organisation.not.found"
    assert not Membership.objects.filter(user=staff.sofie, authority=cast.nordby.authority).exists()


def test_revoking_a_role_removes_it_and_is_audited(staff, cast):
    response = admin_client(staff.nora).delete(role_url(cast.nordby.authority.cvr, "niels", "caseworker"))
    assert response.status_code == 204
    assert not Membership.objects.filter(user=staff.niels).exists()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_user_id) == ("role.revoked", staff.nora.pk)


def test_the_last_superadministrator_cannot_be_revoked(staff, cast):
    response = admin_client(staff.nora).delete(role_url(cast.nordby.authority.cvr, "nora", "superadministrator"))
    assert response.status_code == 409
    assert response.json()["errorCode"] == "last.superadministrator"
    assert Membership.objects.filter(user=staff.nora, role="superadministrator").exists()


def test_a_caseworker_may_not_revoke_roles(staff, cast):
    response = admin_client(staff.niels).delete(role_url(cast.nordby.authority.cvr, "niels", "caseworker"))
    assert response.status_code == 403
    assert Membership.objects.filter(user=staff.niels).exists()


def test_another_organisations_superadministrator_cannot_revoke_in_nordby(staff, cast):
    response = admin_client(staff.sofie).delete(role_url(cast.nordby.authority.cvr, "niels", "caseworker"))
    assert response.status_code == 404
    assert Membership.objects.filter(user=staff.niels).exists()
