"""Docs kept honest: the error page is the catalogue, and every code has a line."""

from pathlib import Path

from digitalpost.core.errors import CATALOGUE, ErrorCode, catalogue_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_error_code_has_a_catalogue_entry():
    assert set(ErrorCode) == set(CATALOGUE)


def test_errors_page_is_the_generated_catalogue():
    # Regenerate with: .venv/bin/digitalpost errors > docs/errors.md
    assert (DOCS / "errors.md").read_text() == catalogue_markdown()


def test_every_error_code_is_documented():
    page = (DOCS / "errors.md").read_text()
    assert all(f"`{code}`" in page for code in ErrorCode)


def test_every_finding_has_a_runbook():
    from digitalpost.doctor.checks import registered_finding_codes

    missing = [code for code in registered_finding_codes() if not (DOCS / "runbooks" / f"{code}.md").exists()]
    assert missing == []


def _mapped_codes() -> list[list[str]]:
    """The finding codes of each row of the failure-source table in docs/doctor.md."""
    import re

    page = (DOCS / "doctor.md").read_text()
    section = page.split("## What the doctor checks", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`" in line]
    return [re.findall(r"`([a-z0-9.]+)`", row.split("|")[2]) for row in rows]


def test_every_failure_source_of_the_brief_maps_to_registered_checks():
    from digitalpost.doctor.checks import registered_finding_codes

    rows = _mapped_codes()
    assert len(rows) >= 6  # the brief's §1 names six technical failure sources and the human ones
    assert all(rows)
    mapped = {code for row in rows for code in row}
    assert mapped == set(registered_finding_codes())


def test_every_finding_code_is_proved_by_a_fault_injection_test():
    from digitalpost.doctor.checks import registered_finding_codes

    tests = "".join(p.read_text() for p in (DOCS.parent / "tests" / "doctor").glob("test_*.py"))
    assert [code for code in registered_finding_codes() if f'"{code}"' not in tests] == []
