"""The organisation itself: creating it, its profile and the permissions only the platform operator grants."""

from __future__ import annotations

import pytest

from digitalpost.audit.models import AuditEntry
from digitalpost.authorities.models import Authority
from digitalpost.authorities.services.organisation import (
    create_authority,
    set_authority_permissions,
    set_secure_mail_policy,
    update_authority_profile,
)
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Actor

NORA = Actor("nora", 1)


def last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()


def profile(**changes):
    values = {"name": "Nordby Kommune", "kind": Authority.Kind.MUNICIPALITY, "technical_contact_name": "IT-vagten",
              "technical_contact_email": "it@nordby.example", "reply_deadline_days": 5}
    return values | changes


def test_a_new_authority_is_logged_under_its_own_cvr(db):
    authority = create_authority(cvr="12345674", name="Østby Region", kind=Authority.Kind.REGION)
    entry = last_entry()
    assert (entry.action, entry.organisation, entry.before) == ("organisation.created", "12345674", None)
    assert entry.after["kind"] == "REGION"
    assert authority.may_send_mandatory is False


@pytest.mark.parametrize(("cvr", "code"), [("12345678", ErrorCode.CONTACT_ID_INVALID),
                                           ("29190003", ErrorCode.NAME_TAKEN)])
def test_an_invalid_or_taken_cvr_is_refused(cast, cvr, code):
    with pytest.raises(DigitalPostError) as refused:
        create_authority(cvr=cvr, name="Ny")
    assert refused.value.code == code


def test_the_profile_change_is_logged_with_before_and_after(cast):
    authority = cast.nordby.authority
    update_authority_profile(authority=authority, actor=NORA, **profile(business_contact_email="chef@nordby.example"))
    authority.refresh_from_db()
    assert authority.technical_contact_email == "it@nordby.example"
    assert authority.reply_deadline_days == 5
    entry = last_entry()
    assert entry.action == "organisation.changed"
    assert (entry.actor_label, entry.organisation) == ("nora", authority.cvr)
    assert entry.before["technical_contact_email"] == ""
    assert entry.after["technical_contact_email"] == "it@nordby.example"
    assert "may_send_mandatory" not in entry.after  # the profile never touches the permissions


@pytest.mark.parametrize("bad", [{"name": "  "}, {"kind": "KIRKE"}, {"reply_deadline_days": 0},
                                 {"technical_contact_email": "not-an-address"}])
def test_an_invalid_profile_is_refused_and_nothing_changes(cast, bad):
    before = AuditEntry.objects.count()
    with pytest.raises(DigitalPostError) as refused:
        update_authority_profile(authority=cast.nordby.authority, **profile(**bad))
    assert refused.value.code == ErrorCode.REQUEST_INVALID
    assert AuditEntry.objects.count() == before
    cast.nordby.authority.refresh_from_db()
    assert cast.nordby.authority.technical_contact_email == ""


def test_permissions_are_changed_and_logged(cast):
    set_authority_permissions(authority=cast.sydby.authority, may_send_mandatory=True,
                              may_send_legal_notification=False, actor=Actor("otto", 4))
    cast.sydby.authority.refresh_from_db()
    assert cast.sydby.authority.may_send_mandatory is True
    entry = last_entry()
    assert entry.action == "organisation.permissions.changed"
    assert entry.before == {"may_send_mandatory": False, "may_send_legal_notification": False}
    assert entry.after == {"may_send_mandatory": True, "may_send_legal_notification": False}


def test_the_secure_mail_policy_is_changed_and_logged_on_its_own(cast):
    authority = cast.nordby.authority
    assert authority.refuse_sha1_signatures is False

    set_secure_mail_policy(authority=authority, refuse_sha1_signatures=True, actor=NORA)

    authority.refresh_from_db()
    assert authority.refuse_sha1_signatures is True
    entry = last_entry()
    assert (entry.action, entry.actor_label, entry.organisation) == (
        "organisation.secure_mail.changed", "nora", authority.cvr)
    assert (entry.before, entry.after) == ({"refuse_sha1_signatures": False}, {"refuse_sha1_signatures": True})
    assert Authority.objects.get(cvr=cast.sydby.authority.cvr).refuse_sha1_signatures is False
