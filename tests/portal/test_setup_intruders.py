"""Nobody reaches another organisation's set-up or a set-up function above their role.

Every set-up route is listed here (the first test fails when a route is added without being listed): the
intruder sofie gets 404 for each Nordby page and for each Nordby object id under her own CVR; niels, a
caseworker, gets 403; an administrator may edit the set-up but not manage users.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from digitalpost.accounts.models import Membership
from digitalpost.accounts.services import create_user, grant_role
from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.models import Material
from digitalpost.authorities.services.materials import create_material, create_subscription_group
from digitalpost.core.roles import Role
from digitalpost.notifications.invitations import invite
from digitalpost.portal.views import setup

ORGANISATION_ROUTES = {
    "profile": "view", "profile_edit": "edit", "profile_secure_mail": "edit", "profile_permissions": "operator",
    "users": "users", "invitation_new": "users", "invitation_revoke": "users", "user_mailboxes": "users",
    "user_remove": "users", "mailboxes": "view", "mailbox_new": "edit", "mailbox_edit": "edit",
    "mailbox_delete": "edit", "materials": "view",
    "material_new": "edit", "material_edit": "edit", "material_delete": "edit", "subscription_groups": "view",
    "subscription_group_new": "edit", "subscription_group_edit": "edit", "subscription_group_delete": "edit",
}


@pytest.fixture
def objects(staff, cast):
    """Nordby's own objects, one of each kind the set-up pages address by id."""
    material = create_material(authority=cast.nordby.authority, name="Brev", reply_rule=Material.ReplyRule.NONE)
    return {
        "mailbox_id": staff.nordby_borgerservice.pk,
        "material_id": material.pk,
        "group_id": create_subscription_group(authority=cast.nordby.authority, name="Bolig", materials=[material]).pk,
        "membership_id": Membership.objects.get(user=staff.niels, authority=cast.nordby.authority).pk,
        "invitation_id": invite(authority=cast.nordby.authority, email="nanna@nordby.example", role=Role.ADMIN).pk,
    }


def urls(cvr: str, objects: dict[str, object]) -> dict[str, str]:
    found = {}
    for pattern in setup.urlpatterns:
        if pattern.name in ORGANISATION_ROUTES:
            wanted = {key: objects[key] for key in pattern.pattern.converters if key != "cvr"}
            found[pattern.name] = reverse(f"portal:{pattern.name}", kwargs={"cvr": cvr, **wanted})
    return found


def test_every_set_up_route_is_listed_here():
    names = {pattern.name for pattern in setup.urlpatterns}
    assert names == set(ORGANISATION_ROUTES) | {"organisation_new"}


def test_the_intruder_gets_not_found_for_every_nordby_page(staff, cast, objects):
    sofie = staff.client(staff.sofie)
    before = AuditEntry.objects.count()
    for name, url in urls(cast.nordby.authority.cvr, objects).items():
        for response in (sofie.get(url), sofie.post(url, {"name": "Overtaget"})):
            assert response.status_code == 404, name
            assert b"organisation.not.found" in response.content
            assert b"Borgerservice" not in response.content
    assert AuditEntry.objects.count() == before


def test_nordby_object_ids_under_sydbys_own_cvr_are_not_found(staff, cast, objects):
    sofie = staff.client(staff.sofie)
    before = AuditEntry.objects.count()
    with_ids = {pattern.name for pattern in setup.urlpatterns if set(pattern.pattern.converters) - {"cvr"}}
    by_id = {name: url for name, url in urls(cast.sydby.authority.cvr, objects).items() if name in with_ids}
    assert len(by_id) == 9
    for name, url in by_id.items():
        for response in (sofie.get(url), sofie.post(url, {"name": "Overtaget", "reply_rule": "NONE"})):
            assert response.status_code == 404, name
            assert b"object.not.found" in response.content
    assert AuditEntry.objects.count() == before
    assert Membership.objects.filter(pk=objects["membership_id"]).exists()


def test_a_caseworker_gets_forbidden_for_every_set_up_page(staff, cast, objects):
    niels = staff.client(staff.niels)
    for name, url in urls(cast.nordby.authority.cvr, objects).items():
        for response in (niels.get(url), niels.post(url, {"name": "Ændret"})):
            assert response.status_code == 403, name
            assert b"role.not.allowed" in response.content
    assert Membership.objects.filter(pk=objects["membership_id"]).exists()


def test_an_administrator_edits_the_set_up_but_does_not_manage_users(staff, cast, objects):
    grant_role(authority=cast.nordby.authority, user=create_user(username="alma"), role=Role.ADMIN)
    alma = staff.client(User.objects.get(username="alma"))
    for name, url in urls(cast.nordby.authority.cvr, objects).items():
        expected = {"view": 200, "edit": 200, "users": 403, "operator": 403}[ORGANISATION_ROUTES[name]]
        assert alma.get(url).status_code == expected, name


def test_pages_need_sign_in(staff, cast, objects):
    for url in urls(cast.nordby.authority.cvr, objects).values():
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/portal/login/")
