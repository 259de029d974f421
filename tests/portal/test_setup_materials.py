"""The materials and subscription group pages: reply rules through the real form, refusals and flags."""

from __future__ import annotations

from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.models import Material, SubscriptionGroup
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.authorities.services.materials import create_material

Rule = Material.ReplyRule


def url(cast, rest: str = "", *, cvr: str | None = None) -> str:
    return f"/portal/{cvr or cast.nordby.authority.cvr}/{rest}"


def test_a_material_with_a_named_mailbox_is_created_through_the_form(staff, cast):
    response = staff.client(staff.nora).post(url(cast, "materials/new/"), {
        "name": "Afgørelse om boligstøtte", "description": "", "reply_rule": "MAILBOX",
        "reply_mailbox": str(staff.nordby_borgerservice.pk), "is_mandatory": "on",
    })
    assert response.status_code == 302
    material = Material.objects.get(name="Afgørelse om boligstøtte")
    assert (material.reply_mailbox, material.is_mandatory) == (staff.nordby_borgerservice, True)
    assert AuditEntry.objects.order_by("-seq").first().action == "material.created"


def test_the_named_rule_without_a_mailbox_is_a_form_error(staff, cast):
    response = staff.client(staff.nora).post(url(cast, "materials/new/"), {"name": "Brev", "reply_rule": "MAILBOX"})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not Material.objects.exists()


def test_the_standard_rule_without_a_standard_mailbox_is_refused_with_its_code(staff, cast):
    response = staff.client(staff.nora).post(url(cast, "materials/new/"), {"name": "Brev", "reply_rule": "STANDARD"})
    assert response.status_code == 400
    assert "standard.mailbox.required" in response.content.decode()


def test_mandatory_is_refused_for_an_organisation_without_the_permission(staff, cast):
    response = staff.client(staff.sofie).post(url(cast, "materials/new/", cvr=cast.sydby.authority.cvr),
                                              {"name": "Brev", "reply_rule": "NONE", "is_mandatory": "on"})
    assert response.status_code == 403
    assert "mandatory.not.allowed" in response.content.decode()
    assert not Material.objects.exists()


def test_a_closed_reply_mailbox_is_flagged_on_the_list(staff, cast):
    closed = create_mailbox(authority=cast.nordby.authority, name="Lukket", is_open=False)
    create_material(authority=cast.nordby.authority, name="Brev", reply_rule=Rule.MAILBOX, reply_mailbox=closed)
    body = staff.client(staff.nora).get(url(cast, "materials/")).content.decode()
    assert "material.reply.mailbox.closed" in body
    assert "Replies to this material cannot be written: the mailbox is closed" in body


def test_a_material_is_edited_and_deleted(staff, cast):
    material = create_material(authority=cast.nordby.authority, name="Brev", reply_rule=Rule.NONE)
    client = staff.client(staff.nora)
    assert client.get(url(cast, f"materials/{material.pk}/")).status_code == 200
    response = client.post(url(cast, f"materials/{material.pk}/"), {"name": "Brev om affald", "reply_rule": "NONE"})
    assert response.status_code == 302
    material.refresh_from_db()
    assert material.name == "Brev om affald"
    assert client.post(url(cast, f"materials/{material.pk}/delete/")).status_code == 302
    assert not Material.objects.filter(pk=material.pk).exists()


def test_subscription_groups_are_created_edited_and_deleted(staff, cast):
    material = create_material(authority=cast.nordby.authority, name="Affald", reply_rule=Rule.NONE)
    client = staff.client(staff.nora)
    response = client.post(url(cast, "subscription-groups/new/"), {"name": "Bolig", "materials": [str(material.pk)]})
    assert response.status_code == 302
    group = SubscriptionGroup.objects.get(name="Bolig")
    assert list(group.materials.all()) == [material]
    assert "Affald" in client.get(url(cast, "subscription-groups/")).content.decode()
    response = client.post(url(cast, f"subscription-groups/{group.pk}/"), {"name": "Bolig", "materials": []})
    assert response.status_code == 302
    assert not group.materials.exists()
    assert "the group points nowhere" in client.get(url(cast, "subscription-groups/")).content.decode()
    assert client.post(url(cast, f"subscription-groups/{group.pk}/delete/")).status_code == 302
    assert not SubscriptionGroup.objects.exists()


def test_another_organisations_material_cannot_join_a_group(staff, cast):
    theirs = create_material(authority=cast.sydby.authority, name="Sydby brev", reply_rule=Rule.NONE)
    response = staff.client(staff.nora).post(url(cast, "subscription-groups/new/"),
                                             {"name": "Bolig", "materials": [str(theirs.pk)]})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not SubscriptionGroup.objects.exists()
