"""The audit log: every set-up change lands in it, chained, and verification finds any tampering."""

from __future__ import annotations

import pytest
from django.db import connection

from digitalpost.accounts.services import grant_role, revoke_role
from digitalpost.audit.models import AuditEntry
from digitalpost.audit.selectors import verify_audit_log
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Role


def test_role_changes_are_logged_with_before_and_after(staff, cast):
    grant_role(authority=cast.nordby.authority, user=staff.niels, role=Role.CASEWORKER, mailboxes=[])
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "role.changed"
    assert entry.organisation == cast.nordby.authority.cvr
    assert entry.before["mailboxes"] == ["Borgerservice"]
    assert entry.after["mailboxes"] == []
    assert verify_audit_log().intact


def test_the_last_superadministrator_cannot_be_removed(staff, cast):
    with pytest.raises(DigitalPostError) as refused:
        revoke_role(authority=cast.nordby.authority, user=staff.nora, role=Role.SUPERADMIN)
    assert refused.value.code == ErrorCode.LAST_SUPERADMINISTRATOR
    grant_role(authority=cast.nordby.authority, user=staff.niels, role=Role.SUPERADMIN)
    revoke_role(authority=cast.nordby.authority, user=staff.nora, role=Role.SUPERADMIN)
    assert AuditEntry.objects.order_by("-seq").first().action == "role.revoked"


def _raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_verification_finds_an_edited_entry(staff):
    verdict = verify_audit_log()
    assert verdict.intact
    assert verdict.entries >= 8
    _raw("UPDATE audit_auditentry SET actor_label = %s WHERE seq = %s", ["mallory", 3])
    assert verify_audit_log().first_bad_seq == 3


def test_verification_finds_a_deleted_entry_in_the_middle(staff):
    _raw("DELETE FROM audit_auditentry WHERE seq = %s", [4])
    assert verify_audit_log().first_bad_seq == 4


def test_verification_finds_entries_cut_off_at_the_end(staff):
    last = AuditEntry.objects.order_by("-seq").first().seq
    _raw("DELETE FROM audit_auditentry WHERE seq >= %s", [last - 1])
    assert verify_audit_log().first_bad_seq == last - 1


def test_verification_finds_a_rewritten_chain_tail(staff):
    """Editing the after-values and recomputing that entry's own hash still breaks the next link."""
    from digitalpost.core.hashchain import link_hash

    entry = AuditEntry.objects.get(seq=2)
    entry.after = {"username": "someone-else"}
    _raw("UPDATE audit_auditentry SET after = %s, hash = %s WHERE seq = 2",
         ['{"username": "someone-else"}', link_hash(entry.prev_hash, entry.body())])
    assert verify_audit_log().first_bad_seq == 3
