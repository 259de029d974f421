"""GET /apis/v1/admin/organisations/{cvr}/audit: the organisation's own entries, newest first, paged."""

from __future__ import annotations

from django.test import Client

from digitalpost.accounts.services import grant_role, issue_admin_token, revoke_role
from digitalpost.audit.models import AuditEntry
from digitalpost.core.roles import Role

ADMIN = "/apis/v1/admin/organisations"


def admin_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_admin_token(user=user, name='test').secret}")


def test_the_log_lists_only_the_organisations_entries_newest_first(staff, cast):
    body = admin_client(staff.nora).get(f"{ADMIN}/{cast.nordby.authority.cvr}/audit").json()
    seqs = [entry["seq"] for entry in body["entries"]]
    assert seqs == list(AuditEntry.objects.filter(organisation=cast.nordby.authority.cvr)
                        .order_by("-seq").values_list("seq", flat=True))
    assert {entry["objectLabel"] for entry in body["entries"]} >= {"nora: superadministrator", "niels: caseworker"}
    assert "sofie: superadministrator" not in {entry["objectLabel"] for entry in body["entries"]}
    assert body["next"] is None


def test_filters_narrow_by_action_prefix_and_actor(staff, cast):
    nordby = cast.nordby.authority
    grant_role(authority=nordby, user=staff.niels, role=Role.ADMIN, actor=staff_actor(staff.nora))
    revoke_role(authority=nordby, user=staff.niels, role=Role.ADMIN, actor=staff_actor(staff.nora))
    client = admin_client(staff.nora)
    revoked = client.get(f"{ADMIN}/{nordby.cvr}/audit?action=role.revoked").json()["entries"]
    assert [e["action"] for e in revoked] == ["role.revoked"]
    by_nora = client.get(f"{ADMIN}/{nordby.cvr}/audit?actor=nor").json()["entries"]
    assert {e["actor"] for e in by_nora} == {"nora"}
    assert len(by_nora) == 2
    assert by_nora[0]["before"] == {"user": "niels", "role": "administrator", "mailboxes": []}


def test_pages_follow_next(staff, cast):
    nordby = cast.nordby.authority
    for _ in range(3):
        grant_role(authority=nordby, user=staff.niels, role=Role.CASEWORKER, mailboxes=[])
    client = admin_client(staff.nora)
    first = client.get(f"{ADMIN}/{nordby.cvr}/audit?limit=2").json()
    second = client.get(f"{ADMIN}/{nordby.cvr}/audit?limit=2&before={first['next']}").json()
    pages = [first, second]
    while pages[-1]["next"] is not None:
        pages.append(client.get(f"{ADMIN}/{nordby.cvr}/audit?limit=2&before={pages[-1]['next']}").json())
    seen = [e["seq"] for page in pages for e in page["entries"]]
    assert all(len(page["entries"]) <= 2 for page in pages)
    assert seen == list(AuditEntry.objects.filter(organisation=nordby.cvr).order_by("-seq")
                        .values_list("seq", flat=True))


def test_a_caseworker_may_not_read_the_audit_log(staff, cast):
    response = admin_client(staff.niels).get(f"{ADMIN}/{cast.nordby.authority.cvr}/audit")
    assert response.status_code == 403


def test_the_intruder_gets_404(staff, cast):
    response = admin_client(staff.sofie).get(f"{ADMIN}/{cast.nordby.authority.cvr}/audit")
    assert response.status_code == 404


def staff_actor(user):
    from digitalpost.accounts.selectors import actor_of

    return actor_of(user)
