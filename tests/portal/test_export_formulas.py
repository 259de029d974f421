"""Spreadsheet formulas in exports: a mailbox named like a formula comes out of every CSV export (the
organisation's and the platform's audit log, the statistics) as plain text, through the real server."""

from __future__ import annotations

import csv
import io

import pytest
import requests

from cast import build_staff
from digitalpost.accounts.services import issue_admin_token
from digitalpost.core.spreadsheet import FORMULA_LEADS
from helpers.live import staff_session

EVIL_NAME = '=HYPERLINK("http://evil.invalid/?x","klik")'


@pytest.fixture
def world(live_server, tx_cast):
    staff = build_staff(tx_cast)
    token = issue_admin_token(user=staff.nora, name="export").secret
    cvr = tx_cast.nordby.authority.cvr
    created = requests.post(f"{live_server.url}/apis/v1/admin/organisations/{cvr}/mailboxes",
                            json={"name": EVIL_NAME}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert created.status_code == 201, created.text
    return live_server.url, staff, cvr


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize(("who", "path"), [
    ("nora", "/portal/{cvr}/audit/export.csv"),
    ("otto", "/portal/platform/audit/export.csv"),
    ("nora", "/portal/{cvr}/statistics/export.csv"),
    ("otto", "/portal/platform/statistics/export.csv"),
])
def test_a_formula_named_mailbox_is_plain_text_in_every_csv_export(world, who, path):
    base, staff, cvr = world
    response = staff_session(base, getattr(staff, who)).get(base + path.format(cvr=cvr), timeout=30)
    assert response.status_code == 200
    text = response.content.decode()
    if path != "/portal/platform/statistics/export.csv":  # that one names organisations, not mailboxes
        assert any(cell.endswith(EVIL_NAME) for cell in cells(text))
    assert [cell for cell in cells(text) if cell.startswith(FORMULA_LEADS)] == []
