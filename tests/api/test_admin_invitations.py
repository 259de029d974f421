"""/apis/v1/admin/organisations/{cvr}/invitations: inviting by e-mail address, listing and withdrawing, with the
portal's permissions; the answer never depends on whether anyone has the address."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from digitalpost.accounts.models import Invitation, Membership
from digitalpost.accounts.services import issue_admin_token
from digitalpost.audit.models import AuditEntry
from digitalpost.outbox.models import WorkKind
from helpers.invitations import invitation_link, invitation_mails

ADMIN = "/apis/v1/admin/organisations"


def admin_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_admin_token(user=user, name='test').secret}")


def invitations_url(org) -> str:
    return f"{ADMIN}/{org.authority.cvr}/invitations"


def post(client: Client, org, body: dict):
    return client.post(invitations_url(org), body, content_type="application/json")


def test_an_invitation_is_queued_listed_mailed_and_withdrawn(staff, cast, drain, smtp_relay):
    nora = admin_client(staff.nora)
    response = post(nora, cast.nordby, {"email": "nanna@nordby.example", "role": "caseworker",
                                        "mailboxIds": [str(staff.nordby_borgerservice.pk)]})
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["email"], body["role"], body["status"], body["invitedBy"]) == (
        "nanna@nordby.example", "caseworker", "pending", "nora")
    assert body["mailboxes"] == [{"id": str(staff.nordby_borgerservice.pk), "name": "Borgerservice"}]
    assert "token" not in str(body).lower()
    drain(WorkKind.NOTIFY)
    [(recipients, mail)] = invitation_mails(smtp_relay)
    assert recipients == ["nanna@nordby.example"]
    invitation_link(mail)
    [listed] = nora.get(invitations_url(cast.nordby)).json()
    assert listed["mailedAt"] is not None
    assert listed["status"] == "pending"
    assert nora.delete(f"{invitations_url(cast.nordby)}/{body['id']}").status_code == 204
    assert nora.get(invitations_url(cast.nordby)).json()[0]["status"] == "revoked"
    again = nora.delete(f"{invitations_url(cast.nordby)}/{body['id']}")
    assert (again.status_code, again.json()["errorCode"]) == (409, "invitation.not.pending")
    assert [e.action for e in AuditEntry.objects.order_by("seq")][-3:] == [
        "invitation.created", "invitation.mailed", "invitation.revoked"]


def test_inviting_another_organisations_user_answers_as_for_anyone_and_adds_nobody(staff, cast):
    sofie = admin_client(staff.sofie)
    answers = [post(sofie, cast.sydby, {"email": email, "role": "caseworker"})
               for email in (staff.nora.email, "nobody-at-all@example.org")]
    assert [a.status_code for a in answers] == [202, 202]
    shapes = [{k: v for k, v in a.json().items() if k not in {"id", "email", "createdAt", "expiresAt"}}
              for a in answers]
    assert shapes[0] == shapes[1]
    assert "nora" not in str(answers[0].json()).replace(staff.nora.email, "")
    assert not Membership.objects.filter(user=staff.nora, authority=cast.sydby.authority).exists()


def test_other_organisations_and_lower_roles_cannot_invite_list_or_withdraw(staff, cast):
    invitation = post(admin_client(staff.nora), cast.nordby, {"email": "nanna@nordby.example", "role": "administrator"})
    invitation_id = invitation.json()["id"]
    sofie, niels = admin_client(staff.sofie), admin_client(staff.niels)
    assert sofie.get(invitations_url(cast.nordby)).status_code == 404
    assert post(sofie, cast.nordby, {"email": "x@example.org", "role": "administrator"}).status_code == 404
    assert sofie.delete(f"{invitations_url(cast.sydby)}/{invitation_id}").status_code == 404
    assert niels.get(invitations_url(cast.nordby)).status_code == 403
    assert post(niels, cast.nordby, {"email": "x@example.org", "role": "superadministrator"}).status_code == 403
    assert Invitation.objects.get(pk=invitation_id).revoked_at is None
    assert Invitation.objects.count() == 1


def test_the_operator_role_and_another_organisations_mailbox_are_refused(staff, cast):
    nora = admin_client(staff.nora)
    assert post(nora, cast.nordby, {"email": "x@example.org", "role": "operator"}).json()["errorCode"] == (
        "request.invalid")
    response = post(nora, cast.nordby, {"email": "x@example.org", "role": "caseworker",
                                        "mailboxIds": [str(staff.sydby_borgerservice.pk)]})
    assert response.json()["errorCode"] == "object.not.found"
    assert not Invitation.objects.exists()


def test_an_organisation_sends_at_most_its_daily_number_of_invitations(staff, cast, settings):
    settings.DIGITALPOST_INVITATIONS_PER_DAY = 3
    nora = admin_client(staff.nora)
    sent = [post(nora, cast.nordby, {"email": f"n{i}@nordby.example", "role": "caseworker"}) for i in range(3)]
    assert [r.status_code for r in sent] == [202, 202, 202]
    refused = post(nora, cast.nordby, {"email": "n4@nordby.example", "role": "caseworker"})
    assert refused.status_code == 429
    assert refused.json()["errorCode"] == "invitations.too.many"
    assert Invitation.objects.filter(authority=cast.nordby.authority).count() == 3
    # Another organisation's quota is its own; a day later Nordby may invite again.
    assert post(admin_client(staff.sofie), cast.sydby, {"email": "s@sydby.example", "role": "caseworker"}
                ).status_code == 202
    Invitation.objects.filter(authority=cast.nordby.authority).update(
        created_at=timezone.now() - timedelta(days=1, seconds=1))
    assert post(nora, cast.nordby, {"email": "n4@nordby.example", "role": "caseworker"}).status_code == 202
