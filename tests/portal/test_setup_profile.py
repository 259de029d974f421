"""The organisation page: profile, contacts, permissions granted by the operator, and the warnings about nobody
being responsible."""

from __future__ import annotations

from digitalpost.accounts.services import grant_role
from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.services.organisation import update_authority_profile
from digitalpost.core.roles import Role


def url(cast, rest: str = "") -> str:
    return f"/portal/{cast.nordby.authority.cvr}/profile/{rest}"


FORM = {"name": "Nordby Kommune", "kind": "KOMMUNE", "technical_contact_name": "IT-vagten",
        "technical_contact_email": "it@nordby.example", "technical_contact_phone": "+45 70 10 20 30",
        "business_contact_name": "", "business_contact_email": "", "business_contact_phone": "",
        "reply_deadline_days": "7"}


def test_the_profile_warns_about_a_missing_technical_contact_and_a_single_superadministrator(staff, cast):
    body = staff.client(staff.nora).get(url(cast)).content.decode()
    assert "No technical contact" in body
    assert "only 1 superadministrator" in body
    update_authority_profile(authority=cast.nordby.authority, name="Nordby Kommune", kind="KOMMUNE",
                             technical_contact_name="IT-vagten", technical_contact_email="it@nordby.example")
    grant_role(authority=cast.nordby.authority, user=staff.niels, role=Role.SUPERADMIN)
    body = staff.client(staff.nora).get(url(cast)).content.decode()
    assert "No technical contact" not in body
    assert "superadministrator. Give" not in body


def test_a_superadministrator_edits_the_profile_through_the_form(staff, cast):
    client = staff.client(staff.nora)
    assert client.get(url(cast, "edit/")).status_code == 200
    response = client.post(url(cast, "edit/"), FORM)
    assert response.status_code == 302
    cast.nordby.authority.refresh_from_db()
    assert cast.nordby.authority.technical_contact_phone == "+45 70 10 20 30"
    assert cast.nordby.authority.reply_deadline_days == 7
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_label) == ("organisation.changed", "nora")
    assert "The profile is saved." in client.get(response["Location"]).content.decode()


def test_form_errors_are_shown_and_nothing_is_saved(staff, cast):
    response = staff.client(staff.nora).post(url(cast, "edit/"), FORM | {"technical_contact_email": "nope",
                                                                         "reply_deadline_days": "0"})
    assert response.status_code == 200
    assert response.content.decode().count('class="errorlist') >= 2
    cast.nordby.authority.refresh_from_db()
    assert cast.nordby.authority.technical_contact_email == ""


def test_the_organisation_cannot_grant_itself_permissions(staff, cast):
    client = staff.client(staff.nora)
    response = client.post(url(cast, "permissions/"), {"may_send_mandatory": "on"})
    assert response.status_code == 403
    assert b"role.not.allowed" in response.content
    response = client.post(url(cast, "edit/"), FORM | {"may_send_legal_notification": ""})
    cast.nordby.authority.refresh_from_db()
    assert cast.nordby.authority.may_send_legal_notification is True  # the profile form has no such field
    assert "Change the permissions" not in client.get(url(cast)).content.decode()


def test_the_platform_operator_grants_permissions(staff, cast):
    client = staff.client(staff.otto)
    assert "Change the permissions" in client.get(f"/portal/{cast.sydby.authority.cvr}/profile/").content.decode()
    response = client.post(f"/portal/{cast.sydby.authority.cvr}/profile/permissions/", {"may_send_mandatory": "on"})
    assert response.status_code == 302
    cast.sydby.authority.refresh_from_db()
    assert (cast.sydby.authority.may_send_mandatory, cast.sydby.authority.may_send_legal_notification) == (True, False)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_label, entry.organisation) == (
        "organisation.permissions.changed", "otto", cast.sydby.authority.cvr)


def test_the_operator_sees_the_profile_but_cannot_edit_it(staff, cast):
    client = staff.client(staff.otto)
    assert client.get(url(cast)).status_code == 200
    assert client.post(url(cast, "edit/"), FORM).status_code == 403



def test_an_administrator_switches_refusing_sha1_signatures_on_and_off(staff, cast):
    client = staff.client(staff.nora)
    assert "accepted, with a doctor warning" in client.get(url(cast)).content.decode()
    assert 'name="refuse_sha1_signatures"' in client.get(url(cast, "secure-mail/")).content.decode()

    response = client.post(url(cast, "secure-mail/"), {"refuse_sha1_signatures": "on",
                                                       "accepts_gateway_addresses": "on"})

    assert response.status_code == 302
    cast.nordby.authority.refresh_from_db()
    assert cast.nordby.authority.refuse_sha1_signatures is True
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_label, entry.after) == (
        "organisation.secure_mail.changed", "nora", {"refuse_sha1_signatures": True,
                                                     "accepts_gateway_addresses": True})
    page = client.get(response["Location"]).content.decode()
    assert "The secure-mail settings are saved." in page
    assert "accepted, with a doctor warning" not in page
    assert "checked" in client.get(url(cast, "secure-mail/")).content.decode()

    client.post(url(cast, "secure-mail/"), {})  # an unticked box is not sent at all
    cast.nordby.authority.refresh_from_db()
    assert cast.nordby.authority.refuse_sha1_signatures is False


def test_a_caseworker_cannot_change_the_secure_mail_policy(staff, cast):
    client = staff.client(staff.niels)
    assert client.post(url(cast, "secure-mail/"), {"refuse_sha1_signatures": "on"}).status_code == 403
    cast.nordby.authority.refresh_from_db()
    assert cast.nordby.authority.refuse_sha1_signatures is False


def test_an_administrator_switches_gateway_addresses_for_new_letters_off_and_it_is_audited(staff, cast):
    client = staff.client(staff.nora)
    assert 'name="accepts_gateway_addresses"' in client.get(url(cast, "secure-mail/")).content.decode()

    response = client.post(url(cast, "secure-mail/"), {})  # both boxes unticked

    assert response.status_code == 302
    cast.nordby.authority.refresh_from_db()
    assert cast.nordby.authority.accepts_gateway_addresses is False
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.before == {"refuse_sha1_signatures": False, "accepts_gateway_addresses": True}
    assert entry.after == {"refuse_sha1_signatures": False, "accepts_gateway_addresses": False}
