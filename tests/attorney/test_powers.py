"""Powers of attorney through the services: given, registered by citizen service, used and ended, all audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from digitalpost.attorney.selectors import active_power_held, list_active_powers_held
from digitalpost.attorney.services import citizen_actor, end_power, find_holder, grant_power, record_use
from digitalpost.audit.models import AuditEntry
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Actor


def _give(cast, *, days: int | None = 30, starts_in: int = 0, level: str = "READ", **extra):
    today = timezone.localdate()
    return grant_power(grantor=cast.bent, holder=cast.bodil, level=level, starts_on=today + timedelta(days=starts_in),
                       ends_on=None if days is None else today + timedelta(days=days),
                       actor=extra.pop("actor", citizen_actor(cast.bent)), **extra)


def test_a_power_is_active_from_its_first_to_its_last_day(cast):
    power = _give(cast, days=10)
    today = timezone.localdate()
    assert active_power_held(cast.bodil.pk, power.pk) == power
    assert active_power_held(cast.bodil.pk, power.pk, on=today + timedelta(days=10)) == power
    assert active_power_held(cast.bodil.pk, power.pk, on=today + timedelta(days=11)) is None
    assert active_power_held(cast.bodil.pk, power.pk, on=today - timedelta(days=1)) is None
    assert active_power_held(cast.anna.pk, power.pk) is None  # only its own holder acts under it
    assert [p.grantor for p in list_active_powers_held(cast.bodil.pk)] == [cast.bent]


def test_a_power_that_starts_later_opens_nothing_today(cast):
    power = _give(cast, starts_in=3)
    assert active_power_held(cast.bodil.pk, power.pk) is None
    assert list_active_powers_held(cast.bodil.pk) == []


def test_an_ended_power_opens_nothing_from_that_moment(cast):
    power = _give(cast, days=None)
    end_power(power=power, actor=citizen_actor(cast.bent))
    assert active_power_held(cast.bodil.pk, power.pk) is None
    with pytest.raises(DigitalPostError) as refused:
        record_use(power=power, actor=citizen_actor(cast.bodil))
    assert refused.value.code == ErrorCode.ATTORNEY_NOT_ACTIVE


def test_grant_use_and_end_are_audited_without_a_cpr_number(cast):
    before = AuditEntry.objects.count()
    power = _give(cast, level="READ_WRITE")
    record_use(power=power, actor=citizen_actor(cast.bodil))
    end_power(power=power, actor=citizen_actor(cast.bodil))
    entries = list(AuditEntry.objects.filter(seq__gt=before).order_by("seq"))
    assert [e.action for e in entries] == ["attorney.granted", "attorney.used", "attorney.ended"]
    assert entries[0].after["level"] == "READ_WRITE"
    assert entries[0].after["folders"] == "all"
    assert entries[0].organisation == ""
    assert entries[1].actor_label == f"citizen:{cast.bodil.pk} Bodil Bertelsen"
    assert entries[2].before["ended_at"] is None
    assert entries[2].after["ended_at"] is not None
    for entry in entries:
        text = f"{entry.actor_label} {entry.object_label} {entry.before} {entry.after}"
        assert cast.bent.number not in text
        assert cast.bodil.number not in text


def test_citizen_service_must_give_a_reason_and_is_logged_under_its_organisation(cast):
    cvr = cast.nordby.authority.cvr
    with pytest.raises(DigitalPostError) as refused:
        _give(cast, organisation=cvr, reason="  ", actor=Actor("cita"))
    assert refused.value.code == ErrorCode.ATTORNEY_REASON_MISSING
    power = _give(cast, organisation=cvr, reason="Bent bad om det ved skranken", actor=Actor("cita"))
    entry = AuditEntry.objects.get(action="attorney.granted")
    assert (entry.organisation, entry.actor_label, entry.after["reason"]) == (cvr, "cita", power.reason)


@pytest.mark.parametrize(("case", "code"), [
    ("self", ErrorCode.ATTORNEY_HOLDER_SELF),
    ("ends-before-it-starts", ErrorCode.ATTORNEY_PERIOD_INVALID),
    ("ended-yesterday", ErrorCode.ATTORNEY_PERIOD_INVALID),
    ("eleven-years", ErrorCode.ATTORNEY_PERIOD_INVALID),
])
def test_impossible_powers_are_refused_and_nothing_is_stored(cast, case, code):
    today = timezone.localdate()
    holder, starts_on, ends_on = cast.bodil, today, today + timedelta(days=1)
    if case == "self":
        holder = cast.bent
    elif case == "ends-before-it-starts":
        starts_on, ends_on = today + timedelta(days=5), today + timedelta(days=2)
    elif case == "ended-yesterday":
        starts_on, ends_on = today - timedelta(days=5), today - timedelta(days=1)
    else:
        ends_on = today + timedelta(days=11 * 366)
    with pytest.raises(DigitalPostError) as refused:
        grant_power(grantor=cast.bent, holder=holder, level="READ", starts_on=starts_on, ends_on=ends_on,
                    actor=citizen_actor(cast.bent))
    assert refused.value.code == code
    assert not AuditEntry.objects.filter(action="attorney.granted").exists()


def test_the_holder_is_found_by_cpr_and_must_be_a_living_citizen(cast):
    assert find_holder("080798-4567") == cast.bodil
    for number in (cast.carl.number, cast.dorte.number, "0101011111", "nonsense"):
        with pytest.raises(DigitalPostError) as refused:
            find_holder(number)
        assert refused.value.code == ErrorCode.ATTORNEY_HOLDER_UNKNOWN
