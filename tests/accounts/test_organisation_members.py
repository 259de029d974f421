"""People in an organisation: invitations' mailboxes (invitations themselves: tests/portal/test_invitations.py),
caseworkers' mailboxes, the operator's new
organisation with its first superadministrator, and the rule that one superadministrator always remains."""

from __future__ import annotations

import pytest

from digitalpost.accounts.models import Invitation, Membership
from digitalpost.accounts.selectors import access_membership
from digitalpost.accounts.services import change_caseworker_mailboxes, create_organisation, grant_role, revoke_role
from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Actor, Role
from digitalpost.notifications.invitations import invite

NORA = Actor("nora", 1)


def test_a_caseworker_cannot_get_another_organisations_mailbox(staff, cast):
    with pytest.raises(DigitalPostError) as refused:
        invite(authority=cast.nordby.authority, email="nanna@nordby.example", role=Role.CASEWORKER,
               mailboxes=[staff.sydby_borgerservice])
    assert refused.value.code == ErrorCode.OBJECT_NOT_FOUND
    assert not Invitation.objects.exists()  # the whole use case is undone
    membership = Membership.objects.get(user=staff.niels, authority=cast.nordby.authority)
    with pytest.raises(DigitalPostError) as refused:
        change_caseworker_mailboxes(membership=membership, mailboxes=[staff.sydby_borgerservice])
    assert refused.value.code == ErrorCode.OBJECT_NOT_FOUND


def test_a_caseworkers_mailboxes_are_changed_and_logged(staff, cast):
    skole = create_mailbox(authority=cast.nordby.authority, name="Skole")
    membership = Membership.objects.get(user=staff.niels, authority=cast.nordby.authority)
    change_caseworker_mailboxes(membership=membership, mailboxes=[skole, staff.nordby_borgerservice], actor=NORA)
    assert set(membership.mailboxes.all()) == {skole, staff.nordby_borgerservice}
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_label) == ("role.changed", "nora")
    assert (entry.before["mailboxes"], entry.after["mailboxes"]) == (["Borgerservice"], ["Borgerservice", "Skole"])


def test_only_caseworkers_have_mailboxes(staff, cast):
    membership = Membership.objects.get(user=staff.nora, authority=cast.nordby.authority)
    with pytest.raises(DigitalPostError) as refused:
        change_caseworker_mailboxes(membership=membership, mailboxes=[staff.nordby_borgerservice])
    assert refused.value.code == ErrorCode.REQUEST_INVALID


def test_a_membership_of_another_organisation_is_not_found(staff, cast):
    theirs = Membership.objects.get(user=staff.sofie)
    with pytest.raises(DigitalPostError) as refused:
        access_membership(cast.nordby.authority, theirs.pk)
    assert refused.value.code == ErrorCode.OBJECT_NOT_FOUND


def test_the_last_superadministrator_remains_until_someone_else_has_the_role(staff, cast):
    nordby = cast.nordby.authority
    with pytest.raises(DigitalPostError) as refused:
        revoke_role(authority=nordby, user=staff.nora, role=Role.SUPERADMIN)
    assert refused.value.code == ErrorCode.LAST_SUPERADMINISTRATOR
    grant_role(authority=nordby, user=staff.niels, role=Role.SUPERADMIN)
    revoke_role(authority=nordby, user=staff.nora, role=Role.SUPERADMIN, actor=NORA)
    assert not Membership.objects.filter(user=staff.nora, authority=nordby).exists()


def test_a_new_organisation_comes_with_its_first_superadministrator(db):
    created = create_organisation(cvr="12345674", name="Østby Kommune", may_send_mandatory=True,
                                  superadmin_username="ole", superadmin_full_name="Ole Østergaard",
                                  actor=Actor("otto", 4))
    assert created.authority.may_send_mandatory is True
    assert created.superadmin.initial_password
    assert created.superadmin.membership.role == Role.SUPERADMIN
    actions = list(AuditEntry.objects.filter(organisation="12345674").order_by("seq").values_list("action", flat=True))
    assert actions == ["organisation.created", "user.created", "role.granted"]


def test_a_refused_new_organisation_leaves_nothing_behind(staff):
    with pytest.raises(DigitalPostError) as refused:
        create_organisation(cvr="12345674", name="Østby Kommune", superadmin_username="bad name!")
    assert refused.value.code == ErrorCode.REQUEST_INVALID
    assert not AuditEntry.objects.filter(organisation="12345674").exists()
    with pytest.raises(DigitalPostError) as refused:
        create_organisation(cvr="29190003", name="Kopi", superadmin_username="ole")
    assert refused.value.code == ErrorCode.NAME_TAKEN
