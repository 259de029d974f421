"""`digitalpost audit verify` and `digitalpost audit export`, run through Typer against the test database."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import connection
from typer.testing import CliRunner

from digitalpost.audit.models import AuditEntry
from digitalpost.cli.main import app


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["audit", *args])

    return invoke


def tamper(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_verify_reports_an_intact_log_and_exits_0(staff, run):
    result = run("verify")
    assert result.exit_code == 0, result.output
    assert f"{AuditEntry.objects.count()} entries checked: intact" in result.output


def test_verify_names_an_edited_entry_and_exits_1(staff, run):
    tamper("UPDATE audit_auditentry SET after = %s WHERE seq = %s", ['{"username": "mallory"}', 2])
    result = run("verify")
    assert result.exit_code == 1
    assert "broken at entry #2" in result.output
    assert "Restore" in result.output


def test_verify_finds_a_deleted_entry(staff, run):
    tamper("DELETE FROM audit_auditentry WHERE seq = %s", [3])
    result = run("verify")
    assert result.exit_code == 1
    assert "#3" in result.output


def test_verify_finds_entries_cut_off_at_the_end(staff, run):
    last = AuditEntry.objects.order_by("-seq").first().seq
    tamper("DELETE FROM audit_auditentry WHERE seq = %s", [last])
    result = run("verify")
    assert result.exit_code == 1
    assert f"#{last}" in result.output


def test_verify_on_an_empty_log_is_intact(db, run):
    result = run("verify")
    assert result.exit_code == 0
    assert "0 entries checked: intact" in result.output


def test_export_writes_one_json_array_of_every_entry_to_stdout(staff, run):
    result = run("export")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)
    assert [e["seq"] for e in entries] == list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert {"seq", "at", "actor", "organisation", "action", "before", "after", "hash"} <= set(entries[0])


def test_export_of_one_organisation_as_csv_to_a_file(staff, cast, run, tmp_path):
    target = tmp_path / "nordby.csv"
    result = run("export", "--org", cast.nordby.authority.cvr, "--format", "csv", "--output", str(target))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    expected = AuditEntry.objects.filter(organisation=cast.nordby.authority.cvr).count()
    assert len(rows) == expected
    assert {row["organisation"] for row in rows} == {cast.nordby.authority.cvr}
    assert f"{expected} entries written" in result.output


def test_export_refuses_an_unknown_organisation_and_format(staff, run):
    unknown = run("export", "--org", "12345674")
    assert unknown.exit_code == 1
    assert "No organisation with CVR 12345674" in unknown.output
    assert run("export", "--format", "xml").exit_code == 2
