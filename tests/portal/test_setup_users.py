"""The users page: superadministrators invite people (tests/portal/test_invitations.py), change caseworkers'
mailboxes and remove roles; the last superadministrator stays."""

from __future__ import annotations

from digitalpost.accounts.models import Invitation, Membership
from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.services.mailboxes import create_mailbox


def url(cast, rest: str = "") -> str:
    return f"/portal/{cast.nordby.authority.cvr}/users/{rest}"


def membership(user, cast) -> Membership:
    return Membership.objects.get(user=user, authority=cast.nordby.authority)


def test_the_list_shows_members_with_roles_and_caseworkers_mailboxes(staff, cast):
    body = staff.client(staff.nora).get(url(cast)).content.decode()
    assert "nora" in body
    assert "niels" in body
    assert "Caseworker" in body
    assert "Borgerservice" in body
    assert "sofie" not in body
    assert "Fewer than two superadministrators" in body


def test_another_organisations_mailbox_is_not_offered_and_not_accepted(staff, cast):
    client = staff.client(staff.nora)
    assert str(staff.sydby_borgerservice.pk) not in client.get(url(cast, "invite/")).content.decode()
    response = client.post(url(cast, "invite/"), {"email": "nanna@nordby.example", "role": "caseworker",
                                                  "mailboxes": [str(staff.sydby_borgerservice.pk)]})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_caseworkers_mailboxes_are_changed(staff, cast):
    skole = create_mailbox(authority=cast.nordby.authority, name="Skole")
    niels = membership(staff.niels, cast)
    client = staff.client(staff.nora)
    page = client.get(url(cast, f"{niels.pk}/mailboxes/")).content.decode()
    assert "Skole" in page
    response = client.post(url(cast, f"{niels.pk}/mailboxes/"), {"mailboxes": [str(skole.pk)]})
    assert response.status_code == 302
    assert list(niels.mailboxes.all()) == [skole]


def test_a_role_is_removed_after_confirmation(staff, cast):
    niels = membership(staff.niels, cast)
    client = staff.client(staff.nora)
    assert client.get(url(cast, f"{niels.pk}/remove/")).status_code == 200
    assert Membership.objects.filter(pk=niels.pk).exists()
    assert client.post(url(cast, f"{niels.pk}/remove/")).status_code == 302
    assert not Membership.objects.filter(pk=niels.pk).exists()
    assert AuditEntry.objects.order_by("-seq").first().action == "role.revoked"


def test_removing_the_last_superadministrator_is_refused_on_the_page(staff, cast):
    nora = membership(staff.nora, cast)
    response = staff.client(staff.nora).post(url(cast, f"{nora.pk}/remove/"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "last.superadministrator" in body
    assert "Users and roles" in body
    assert Membership.objects.filter(pk=nora.pk).exists()
