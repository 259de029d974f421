"""Invitations: the only way a person joins an organisation. An administrator invites an e-mail address to a role;
the worker mails a single-use, expiring link through the real SMTP relay; the invitee signs in (or creates a
user) and accepts; only then are they a member. The administrator's answer is the same whoever has the address,
and no page shows another organisation's user."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from digitalpost.accounts.models import Invitation, Membership
from digitalpost.audit.models import AuditEntry
from digitalpost.audit.selectors import verify_audit_log
from digitalpost.outbox.models import Job, WorkKind
from helpers.invitations import invitation_link, invitation_mails


def users_url(org, rest: str = "") -> str:
    return f"/portal/{org.authority.cvr}/users/{rest}"


def invite(client: Client, org, email: str, role: str = "caseworker", mailboxes=()):
    return client.post(users_url(org, "invite/"), {"email": email, "role": role,
                                                   "mailboxes": [str(mb.pk) for mb in mailboxes]})


def mailed_token(drain, relay, to: str) -> str:
    drain(WorkKind.NOTIFY)
    [mail] = [m for r, m in invitation_mails(relay) if r == [to]]
    return invitation_link(mail)[1]


def open_invitation(client: Client, token: str):
    return client.post("/portal/invitation/", {"code": token})


def test_an_invitation_is_mailed_with_a_link_whose_token_is_stored_only_hashed(staff, cast, drain, smtp_relay):
    response = invite(staff.client(staff.nora), cast.nordby, "nanna@nordby.example",
                      mailboxes=[staff.nordby_borgerservice])
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.token_sha256) == ("nanna@nordby.example", "caseworker", None)
    assert not User.objects.filter(email="nanna@nordby.example").exists()
    assert Job.objects.get(kind=WorkKind.NOTIFY).key == f"invitation:{invitation.pk}"

    assert drain(WorkKind.NOTIFY) == 1
    [(recipients, mail)] = invitation_mails(smtp_relay)
    assert recipients == ["nanna@nordby.example"]
    assert "Nordby Kommune" in mail["Subject"]
    body = mail.get_content()
    assert body.index("Du er inviteret") < body.index("You are invited")
    url, token = invitation_link(mail)
    assert url == "http://127.0.0.1:8000/portal/invitation/"  # the token rides in the fragment, never sent
    invitation.refresh_from_db()
    assert invitation.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert invitation.mailed_at is not None
    assert token not in str(list(AuditEntry.objects.values_list("before", "after")))
    assert [e.action for e in AuditEntry.objects.order_by("seq")][-2:] == ["invitation.created", "invitation.mailed"]


def test_sydbys_superadministrator_inviting_noras_address_learns_nothing_and_adds_nobody(
        staff, cast, drain, smtp_relay):
    sofie = staff.client(staff.sofie)
    known = invite(sofie, cast.sydby, staff.nora.email)
    unknown = invite(sofie, cast.sydby, "nobody-at-all@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    page = sofie.get(users_url(cast.sydby)).content.decode()
    for revealing in ("Nora Nielsen", ">nora<", "Nordby"):
        assert revealing not in page
    assert not Membership.objects.filter(user=staff.nora, authority=cast.sydby.authority).exists()
    # The old way in, by user name, is gone from the portal and the admin API.
    assert sofie.post(users_url(cast.sydby, "new/"), {"username": "nora", "role": "caseworker"}).status_code == 404
    assert not Membership.objects.filter(user=staff.nora, authority=cast.sydby.authority).exists()


def test_an_existing_user_signs_in_accepts_and_only_then_is_a_member(staff, cast, drain, smtp_relay):
    invite(staff.client(staff.sofie), cast.sydby, staff.nora.email, role="administrator")
    token = mailed_token(drain, smtp_relay, staff.nora.email)

    anonymous = Client()
    assert open_invitation(anonymous, token).status_code == 302
    page = anonymous.get("/portal/invitation/").content.decode()
    assert "Sydby Kommune" in page
    assert 'id="invitation-sign-in"' in page
    assert anonymous.post("/portal/invitation/accept/").status_code == 302  # to the sign-in first
    assert not Membership.objects.filter(user=staff.nora, authority=cast.sydby.authority).exists()

    nora = staff.client(staff.nora)
    open_invitation(nora, token)
    assert "Accept as nora" in nora.get("/portal/invitation/").content.decode()
    response = nora.post("/portal/invitation/accept/")
    assert response.status_code == 302
    assert response["Location"] == f"/portal/{cast.sydby.authority.cvr}/"
    assert Membership.objects.get(user=staff.nora, authority=cast.sydby.authority).role == "administrator"
    accepted = AuditEntry.objects.get(action="invitation.accepted")
    assert (accepted.organisation, accepted.actor_user_id) == (cast.sydby.authority.cvr, staff.nora.pk)
    assert AuditEntry.objects.filter(action="role.granted", organisation=cast.sydby.authority.cvr,
                                     actor_user_id=staff.nora.pk).exists()
    assert verify_audit_log().intact

    # Single use: the same link again opens nothing, for anyone.
    again = open_invitation(staff.client(staff.niels), token)
    assert again.status_code == 404
    assert "invitation.invalid" in again.content.decode()
    listed = staff.client(staff.sofie).get(users_url(cast.sydby)).content.decode()
    assert 'data-status="accepted"' in listed


def test_a_new_person_creates_a_user_with_the_invited_address_and_enrols_an_authenticator_next(
        staff, cast, drain, smtp_relay):
    invite(staff.client(staff.nora), cast.nordby, "nanna@nordby.example", mailboxes=[staff.nordby_borgerservice])
    token = mailed_token(drain, smtp_relay, "nanna@nordby.example")
    client = Client()
    open_invitation(client, token)
    assert client.get("/portal/invitation/account/").status_code == 200
    weak = client.post("/portal/invitation/account/", {"username": "nanna", "password1": "short",
                                                        "password2": "short"})
    assert weak.status_code == 200
    assert not User.objects.filter(username="nanna").exists()
    taken = client.post("/portal/invitation/account/", {"username": "niels", "password1": "a-long-passphrase-42",
                                                         "password2": "a-long-passphrase-42"})
    assert taken.status_code == 200
    assert Membership.objects.filter(user=staff.niels).count() == 1
    response = client.post("/portal/invitation/account/", {
        "username": "nanna", "full_name": "Nanna Holm", "password1": "a-long-passphrase-42",
        "password2": "a-long-passphrase-42"})
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/enrol/")
    nanna = User.objects.get(username="nanna")
    assert (nanna.email, nanna.get_full_name()) == ("nanna@nordby.example", "Nanna Holm")
    assert nanna.check_password("a-long-passphrase-42")
    membership = Membership.objects.get(user=nanna)
    assert (membership.authority, membership.role) == (cast.nordby.authority, "caseworker")
    assert list(membership.mailboxes.all()) == [staff.nordby_borgerservice]
    # Signed in, but nothing opens before the authenticator is enrolled.
    assert client.get(f"/portal/{cast.nordby.authority.cvr}/").status_code == 302


@pytest.mark.parametrize("how", ["expired", "withdrawn", "wrong"])
def test_an_expired_withdrawn_or_wrong_code_opens_nothing(staff, cast, drain, smtp_relay, how):
    nora = staff.client(staff.nora)
    invite(nora, cast.nordby, "nanna@nordby.example")
    token = mailed_token(drain, smtp_relay, "nanna@nordby.example")
    invitation = Invitation.objects.get()
    if how == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif how == "withdrawn":
        assert nora.post(users_url(cast.nordby, f"invitations/{invitation.pk}/withdraw/")).status_code == 302
        assert AuditEntry.objects.order_by("-seq").first().action == "invitation.revoked"
    else:
        token = token[:-2]
    response = open_invitation(Client(), token)
    assert response.status_code == 404
    assert "invitation.invalid" in response.content.decode()
    assert not Membership.objects.filter(user__email="nanna@nordby.example").exists()
    status = "expired" if how == "expired" else "revoked" if how == "withdrawn" else "pending"
    assert f'data-status="{status}"' in nora.get(users_url(cast.nordby)).content.decode()


def test_a_withdrawn_invitation_is_not_mailed_and_an_accepted_one_cannot_be_withdrawn(
        staff, cast, drain, smtp_relay):
    nora = staff.client(staff.nora)
    invite(nora, cast.nordby, "late@nordby.example")
    invitation = Invitation.objects.get()
    nora.post(users_url(cast.nordby, f"invitations/{invitation.pk}/withdraw/"))
    drain(WorkKind.NOTIFY)
    assert invitation_mails(smtp_relay) == []

    invite(nora, cast.nordby, staff.niels.email, role="administrator")
    token = mailed_token(drain, smtp_relay, staff.niels.email)
    niels = staff.client(staff.niels)
    open_invitation(niels, token)
    niels.post("/portal/invitation/accept/")
    accepted = Invitation.objects.get(email=staff.niels.email)
    response = nora.post(users_url(cast.nordby, f"invitations/{accepted.pk}/withdraw/"))
    assert response.status_code == 409
    assert "invitation.not.pending" in response.content.decode()


def test_another_organisations_invitation_cannot_be_withdrawn(staff, cast, drain, smtp_relay):
    invite(staff.client(staff.nora), cast.nordby, "nanna@nordby.example")
    invitation = Invitation.objects.get()
    response = staff.client(staff.sofie).post(users_url(cast.sydby, f"invitations/{invitation.pk}/withdraw/"))
    assert response.status_code == 404
    assert Invitation.objects.get().revoked_at is None


def test_a_caseworker_may_not_invite(staff, cast):
    response = invite(staff.client(staff.niels), cast.nordby, "nanna@nordby.example", role="superadministrator")
    assert response.status_code == 403
    assert not Invitation.objects.exists()
