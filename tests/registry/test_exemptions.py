"""Exemptions from Digital Post: granted for a period, ended early, audit-logged, and what delivery sees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from digitalpost.audit.models import AuditEntry
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Actor
from digitalpost.registry.models import Contact, ContactChange, Exemption
from digitalpost.registry.selectors import effective_status, effective_statuses, find_addressee
from digitalpost.registry.services import end_exemption, grant_exemption

CLERK = Actor("clara", user_id=None)


def _grant(contact: Contact, *, starts: int = 0, ends: int | None = 30, reason: str = Exemption.Reason.NO_ACCESS,
           note: str = "") -> Exemption:
    today = timezone.localdate()
    return grant_exemption(contact=contact, reason=reason, note=note, starts_on=today + timedelta(days=starts),
                           ends_on=today + timedelta(days=ends) if ends is not None else None,
                           organisation="29190003", actor=CLERK)


def test_an_exemption_makes_a_registered_citizen_exempt_for_its_period_only(cast):
    exemption = _grant(cast.anna, starts=0, ends=30)
    today = timezone.localdate()
    assert effective_status(cast.anna, on=today) == "EXEMPT"
    assert effective_status(cast.anna, on=today + timedelta(days=30)) == "EXEMPT"
    assert effective_status(cast.anna, on=today + timedelta(days=31)) == "REGISTERED"
    assert effective_status(cast.anna, on=today - timedelta(days=1)) == "REGISTERED"
    assert find_addressee(Contact.Kind.CITIZEN, cast.anna.number).status == "EXEMPT"
    end_exemption(exemption=exemption, organisation="29190003", actor=CLERK)
    assert effective_status(cast.anna) == "REGISTERED"
    assert find_addressee(Contact.Kind.CITIZEN, cast.anna.number).status == "REGISTERED"


def test_a_future_exemption_does_not_apply_yet_and_closed_stays_closed(cast):
    _grant(cast.anna, starts=5, ends=None)
    assert find_addressee(Contact.Kind.CITIZEN, cast.anna.number).status == "REGISTERED"
    assert effective_statuses([cast.anna, cast.bent, cast.carl]) == {
        cast.anna.number: "REGISTERED", cast.bent.number: "EXEMPT", cast.carl.number: "CLOSED"}
    assert effective_statuses([cast.anna], on=timezone.localdate() + timedelta(days=5)) == {
        cast.anna.number: "EXEMPT"}


def test_granting_and_ending_are_audit_logged_without_the_full_cpr_and_fed_to_the_change_feed(cast):
    exemption = _grant(cast.anna)
    end_exemption(exemption=exemption, organisation="29190003", actor=CLERK)
    entries = list(AuditEntry.objects.filter(action__startswith="exemption.").order_by("seq"))
    assert [(e.action, e.actor_label, e.organisation) for e in entries] == [
        ("exemption.granted", "clara", "29190003"), ("exemption.ended", "clara", "29190003")]
    assert all(cast.anna.number not in str(e.object_label) + str(e.after) + str(e.before) for e in entries)
    kinds = list(ContactChange.objects.filter(contact=cast.anna).order_by("id").values_list("kind", flat=True))
    assert kinds == ["REGISTERED", "EXEMPTION_GRANTED", "EXEMPTION_ENDED"]


@pytest.mark.parametrize(("who", "kwargs", "code"), [
    ("carl", {}, ErrorCode.RECIPIENT_IS_CLOSED),
    ("dorte", {}, ErrorCode.REQUEST_INVALID),  # companies cannot be exempted
    ("anna", {"starts": 3, "ends": 1}, ErrorCode.REQUEST_INVALID),
    ("anna", {"reason": "BORED"}, ErrorCode.REQUEST_INVALID),
    ("anna", {"reason": Exemption.Reason.OTHER}, ErrorCode.REQUEST_INVALID),  # "other" needs a note
    ("anna", {"ends": 11 * 366}, ErrorCode.REQUEST_INVALID),
])
def test_impossible_exemptions_are_refused_and_nothing_is_written(cast, who, kwargs, code):
    with pytest.raises(DigitalPostError) as refused:
        _grant(getattr(cast, who), **kwargs)
    assert refused.value.code is code
    assert not Exemption.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="exemption.").exists()
