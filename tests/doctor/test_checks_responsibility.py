"""Somebody must be responsible for upkeep: two superadministrators (critical with none, a warning with one) and a
technical contact (a warning without)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from digitalpost.accounts.services import revoke_role
from digitalpost.authorities.services.organisation import update_authority_profile
from digitalpost.core.findings import Finding, Severity, SubjectKind
from digitalpost.core.roles import Role
from digitalpost.doctor.checks.responsibility import missing_technical_contact, too_few_superadministrators
from digitalpost.doctor.checks.snapshot import OrgSnapshot
from digitalpost.doctor.services import examine
from helpers.doctor_world import HealthyOrg, findings_of

CODES = {"superadministrators.too.few", "technical.contact.missing"}
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def responsibility(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.code in CODES]


def test_a_healthy_organisation_has_people_responsible(healthy: HealthyOrg):
    assert responsibility(findings_of(healthy)) == []


def test_one_superadministrator_left_is_a_warning_on_the_organisation(healthy: HealthyOrg):
    revoke_role(authority=healthy.authority, user=User.objects.get(username="nils"), role=Role.SUPERADMIN)

    (finding,) = responsibility(findings_of(healthy))
    assert (finding.code, finding.severity, finding.stage) == ("superadministrators.too.few", Severity.WARNING, "one")
    assert (finding.subject.kind, finding.subject.id) == (SubjectKind.ORGANISATION, healthy.authority.cvr)
    assert finding.facts["superadministrators"] == 1


def test_an_organisation_created_without_a_superadministrator_is_critical(healthy: HealthyOrg, cast):
    # Sydby, as the operator created it: no superadministrator and no technical contact yet.
    found = responsibility(examine(cast.sydby.authority, now=timezone.now()).plain)
    assert sorted((f.code, f.severity, f.stage) for f in found) == [
        ("superadministrators.too.few", Severity.CRITICAL, "none"),
        ("technical.contact.missing", Severity.WARNING, ""),
    ]


def test_removing_the_technical_contact_is_a_warning(healthy: HealthyOrg):
    update_authority_profile(authority=healthy.authority, name=healthy.authority.name, kind=healthy.authority.kind,
                             technical_contact_name="", technical_contact_email="")
    healthy.authority.refresh_from_db()

    (finding,) = responsibility(findings_of(healthy))
    assert (finding.code, finding.severity, finding.subject.id) == (
        "technical.contact.missing", Severity.WARNING, healthy.authority.cvr)


def org(superadministrators: int = 2, email: str = "it@nordby.dk") -> OrgSnapshot:
    return OrgSnapshot(cvr="29190003", name="Nordby Kommune", technical_contact_name="IT",
                       technical_contact_email=email, superadministrators=superadministrators, reply_deadline_days=10)


@pytest.mark.parametrize(("count", "expected"), [
    (0, [("critical", "none")]), (1, [("warning", "one")]), (2, []), (5, [])])
def test_superadministrators_are_counted_against_two(count: int, expected: list[tuple[str, str]]):
    assert [(f.severity.value, f.stage) for f in too_few_superadministrators(org(count), NOW)] == expected


def test_a_blank_technical_contact_address_counts_as_none():
    assert [f.code for f in missing_technical_contact(org(email="  "), NOW)] == ["technical.contact.missing"]
    assert list(missing_technical_contact(org(), NOW)) == []
