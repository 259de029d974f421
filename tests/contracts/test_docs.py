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
