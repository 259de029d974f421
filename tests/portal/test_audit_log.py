"""The audit log pages: an organisation's log for its superadministrators (filters, pages, CSV/JSON export),
and the platform log with the chain verification for operators."""

from __future__ import annotations

import csv
import io
import json
import re

from django.db import connection
from django.utils import timezone

from digitalpost.accounts.selectors import actor_of
from digitalpost.accounts.services import grant_role, revoke_role
from digitalpost.audit.models import AuditEntry
from digitalpost.core.roles import Role


def url(cast, path: str = "") -> str:
    return f"/portal/{cast.nordby.authority.cvr}/audit/{path}"


def seqs(html: str) -> list[int]:
    return [int(seq) for seq in re.findall(r'<tr data-seq="(\d+)">', html)]


def nordby_seqs(cast) -> list[int]:
    return list(AuditEntry.objects.filter(organisation=cast.nordby.authority.cvr).order_by("-seq")
                .values_list("seq", flat=True))


def test_the_superadministrator_sees_the_organisations_entries_newest_first(staff, cast):
    response = staff.client(staff.nora).get(url(cast))
    assert response.status_code == 200
    html = response.content.decode()
    assert seqs(html) == nordby_seqs(cast)
    assert "niels: caseworker" in html
    assert "sofie: superadministrator" not in html


def test_a_change_shows_who_and_before_and_after(staff, cast):
    grant_role(authority=cast.nordby.authority, user=staff.niels, role=Role.CASEWORKER, mailboxes=[],
               actor=actor_of(staff.nora))
    html = staff.client(staff.nora).get(url(cast)).content.decode()
    row = html[html.index(f'<tr data-seq="{nordby_seqs(cast)[0]}">'):]
    row = row[: row.index("</tr>")]
    assert "role.changed" in row
    assert ">nora<" in row
    assert "<del>[&#x27;Borgerservice&#x27;]</del>" in row
    assert "<ins>[]</ins>" in row
    assert ">role<" not in row  # unchanged keys are left out


def test_filters_narrow_the_list(staff, cast):
    nordby = cast.nordby.authority
    grant_role(authority=nordby, user=staff.niels, role=Role.ADMIN, actor=actor_of(staff.nora))
    revoke_role(authority=nordby, user=staff.niels, role=Role.ADMIN, actor=actor_of(staff.nora))
    client = staff.client(staff.nora)
    revoked = client.get(url(cast), {"action": "role.revoked"}).content.decode()
    assert seqs(revoked) == [nordby_seqs(cast)[0]]
    by_nora = client.get(url(cast), {"actor": "nora"}).content.decode()
    assert len(seqs(by_nora)) == 2
    today = timezone.localdate().isoformat()
    assert seqs(client.get(url(cast), {"since": today, "until": today}).content.decode()) == nordby_seqs(cast)
    assert seqs(client.get(url(cast), {"until": "2001-01-01"}).content.decode()) == []


def test_a_reversed_date_range_says_what_to_fix(staff, cast):
    html = staff.client(staff.nora).get(url(cast), {"since": "2030-01-02", "until": "2030-01-01"}).content.decode()
    assert "The start date is after the end date" in html


def test_long_logs_are_paged(staff, cast):
    for _ in range(55):
        grant_role(authority=cast.nordby.authority, user=staff.niels, role=Role.CASEWORKER, mailboxes=[])
    client = staff.client(staff.nora)
    first = seqs(client.get(url(cast)).content.decode())
    second = seqs(client.get(url(cast), {"page": 2}).content.decode())
    assert len(first) == 50
    assert first + second == nordby_seqs(cast)


def test_the_csv_export_streams_every_filtered_entry_with_cvr_and_date_in_the_name(staff, cast):
    response = staff.client(staff.nora).get(url(cast, "export.csv"))
    assert response.status_code == 200
    assert response.streaming
    disposition = response["Content-Disposition"]
    assert f"audit-{cast.nordby.authority.cvr}-{timezone.localdate():%Y-%m-%d}.csv" in disposition
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [int(row["seq"]) for row in rows] == sorted(nordby_seqs(cast))
    assert {row["organisation"] for row in rows} == {cast.nordby.authority.cvr}
    assert all(isinstance(json.loads(row["after"]), dict | None) for row in rows)


def test_the_json_export_is_one_array_and_honours_the_filters(staff, cast):
    response = staff.client(staff.nora).get(url(cast, "export.json"), {"action": "role.granted"})
    assert response["Content-Type"] == "application/json"
    entries = json.loads(b"".join(response.streaming_content))
    assert entries
    assert {e["action"] for e in entries} == {"role.granted"}
    assert {"seq", "at", "actor", "before", "after", "hash"} <= set(entries[0])


def test_an_unknown_export_format_is_refused(staff, cast):
    response = staff.client(staff.nora).get(url(cast, "export.xml"))
    assert response.status_code == 400
    assert b"request.invalid" in response.content


def test_a_caseworker_gets_403(staff, cast):
    client = staff.client(staff.niels)
    for path in ("", "export.csv", "export.json"):
        response = client.get(url(cast, path))
        assert response.status_code == 403, path
        assert b"role.not.allowed" in response.content


def test_another_organisations_superadministrator_gets_404(staff, cast):
    client = staff.client(staff.sofie)
    for path in ("", "export.csv", "export.json"):
        response = client.get(url(cast, path))
        assert response.status_code == 404, path
        assert b"Nordby" not in response.content


def test_the_operator_reads_any_organisations_log(staff, cast):
    assert staff.client(staff.otto).get(url(cast)).status_code == 200


def test_the_menu_links_the_audit_log_for_superadministrators_only(staff, cast):
    overview = f"/portal/{cast.nordby.authority.cvr}/"
    assert url(cast).encode() in staff.client(staff.nora).get(overview).content
    assert url(cast).encode() not in staff.client(staff.niels).get(overview).content


def test_the_platform_page_lists_every_entry_and_says_the_chain_is_intact(staff, cast):
    response = staff.client(staff.otto).get("/portal/platform/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="notice success"' in html
    assert f"{AuditEntry.objects.count()} entries checked" in html
    page = seqs(html)
    assert page == list(AuditEntry.objects.order_by("-seq").values_list("seq", flat=True))[:50]


def test_the_platform_page_filters_by_organisation_and_platform_wide(staff, cast):
    client = staff.client(staff.otto)
    sydby = seqs(client.get("/portal/platform/audit/", {"organisation": cast.sydby.authority.cvr}).content.decode())
    assert sydby == list(AuditEntry.objects.filter(organisation=cast.sydby.authority.cvr).order_by("-seq")
                         .values_list("seq", flat=True))
    platform = seqs(client.get("/portal/platform/audit/", {"organisation": "platform"}).content.decode())
    assert platform == list(AuditEntry.objects.filter(organisation="").order_by("-seq")
                            .values_list("seq", flat=True))


def test_the_platform_page_names_the_first_broken_entry(staff):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor_label = %s WHERE seq = %s", ["mallory", 3])
    html = staff.client(staff.otto).get("/portal/platform/audit/").content.decode()
    assert 'class="notice error"' in html
    assert "broken at entry #3" in html


def test_the_platform_export_covers_every_organisation(staff, cast):
    response = staff.client(staff.otto).get("/portal/platform/audit/export.json")
    entries = json.loads(b"".join(response.streaming_content))
    assert len(entries) == AuditEntry.objects.count()
    assert "audit-platform-" in response["Content-Disposition"]


def test_the_platform_page_is_hidden_from_everyone_but_operators(staff):
    for user in (staff.nora, staff.niels, staff.sofie):
        client = staff.client(user)
        assert client.get("/portal/platform/audit/").status_code == 404
        assert client.get("/portal/platform/audit/export.csv").status_code == 404


def test_a_creation_lists_only_the_filled_in_fields(staff, cast):
    html = staff.client(staff.nora).get(url(cast)).content.decode()
    first = html[html.index('<tr data-seq="1">'):]
    first = first[: first.index("</tr>")]
    assert "<dt>cvr</dt>" in first
    assert "<dt>technical_contact_name</dt>" not in first
