"""The reply-statistics pages: an organisation's figures per mailbox, charts and CSV for a chosen period; the
operator's table of every organisation; and every intruder refused. The story is tests/helpers/stats_world.py."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest

from digitalpost.authorities.services.mailboxes import create_mailbox
from helpers.stats_world import PERIOD, Clock, build_story


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock.install(monkeypatch)


@pytest.fixture
def story(cast, staff, clock):
    return build_story(cast, staff, clock)


def page(cast, *rest: str) -> str:
    return f"/portal/{cast.nordby.authority.cvr}/statistics/{''.join(rest)}"


def cells(html: str, row: str) -> dict[str, str]:
    """The figures of one table row (data-mailbox or data-cvr), as text without markup."""
    found = re.search(rf'<tr data-(?:mailbox|cvr)="{re.escape(row)}">(.*?)</tr>', html, re.S)
    assert found, row
    return {name: re.sub(r"<[^>]+>", "", value).strip()
            for name, value in re.findall(r'<td data-figure="([^"]+)">(.*?)</td>', found.group(1), re.S)}


def csv_rows(response) -> list[dict[str, str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_page_shows_the_figures_per_mailbox_and_in_total(cast, staff, story):
    html = staff.client(staff.nora).get(page(cast), PERIOD).content.decode()
    assert cells(html, str(story.borgerservice.pk)) == {
        "received": "5", "answered": "4", "share": "100.0 %", "median": "61.0", "p90": "170.4", "overdue": "0",
        "refused": "0"}
    assert cells(html, str(story.skat.pk)) == {
        "received": "2", "answered": "1", "share": "0.0 %", "median": "216.0", "p90": "216.0", "overdue": "1",
        "refused": "1"}
    assert cells(html, "total") == {
        "received": "7", "answered": "5", "share": "66.7 %", "median": "120.0", "p90": "206.4", "overdue": "1",
        "refused": "3"}
    assert re.search(r'<tr data-code="thread.missing"><td><code>thread.missing</code></td><td>2</td>', html)
    assert "7 Apr 2025 to 27 Apr 2025" in html
    assert "3 working days" in html


def test_the_charts_are_inline_svg_that_parses_and_carries_the_numbers(cast, staff, story):
    html = staff.client(staff.nora).get(page(cast), PERIOD).content.decode()
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) == 2
    weekly, answer_times = (ET.fromstring(svg) for svg in svgs)  # noqa: S314 (the page we just rendered)
    values = [r.get("data-value") for r in weekly.iter("{http://www.w3.org/2000/svg}rect") if r.get("data-value")]
    assert values == ["3", "3", "2", "2", "2", "0"]
    assert "7 inquiries received over 3 weeks; 5 of them answered." in html
    assert "5 answers by time taken" in ET.tostring(answer_times, encoding="unicode")
    assert "<script" not in html
    assert 'id="weekly-data"' in html  # the text alternatives
    assert 'id="distribution-data"' in html


def test_the_default_period_is_the_last_30_days_and_presets_choose_others(cast, staff, story):
    client = staff.client(staff.nora)
    default = client.get(page(cast)).content.decode()
    assert "1 Apr 2025 to 30 Apr 2025" in default
    assert cells(default, "total")["received"] == "9"
    week = client.get(page(cast), {"days": "7"}).content.decode()
    assert "24 Apr 2025 to 30 Apr 2025" in week
    assert cells(week, "total")["received"] == "2"
    for days in ("7", "30", "90", "365"):
        assert f'href="?days={days}"' in default


def test_an_impossible_period_is_explained_and_the_default_shown(cast, staff, story):
    response = staff.client(staff.nora).get(page(cast), {"from": "2025-04-27", "to": "2025-04-07"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "the start date is after the end date" in html
    assert "1 Apr 2025 to 30 Apr 2025" in html


def test_csv_has_a_row_per_mailbox_and_a_total_row_for_the_period(cast, staff, story):
    rows = csv_rows(staff.client(staff.nora).get(page(cast, "export.csv"), PERIOD))
    assert [(r["scope"], r["mailbox"]) for r in rows] == [
        ("mailbox", "Borgerservice"), ("mailbox", "Skat"), ("organisation", "")]
    skat, total = rows[1], rows[2]
    assert skat["mailbox_id"] == str(story.skat.pk)
    assert {k: skat[k] for k in ("received", "answered", "answered_in_time", "answered_late",
                                 "unanswered_past_deadline", "open_within_deadline",
                                 "share_answered_in_time_percent", "median_hours_to_answer", "p90_hours_to_answer",
                                 "replies_refused", "replies_refused_by_code")} == {
        "received": "2", "answered": "1", "answered_in_time": "0", "answered_late": "1",
        "unanswered_past_deadline": "1", "open_within_deadline": "0", "share_answered_in_time_percent": "0.0",
        "median_hours_to_answer": "216.0", "p90_hours_to_answer": "216.0", "replies_refused": "1",
        "replies_refused_by_code": "sender.certificate.expired=1"}
    assert (total["cvr"], total["period_from"], total["period_to"], total["deadline_working_days"]) == (
        cast.nordby.authority.cvr, "2025-04-07", "2025-04-27", "3")
    assert (total["received"], total["share_answered_in_time_percent"], total["replies_refused_by_code"]) == (
        "7", "66.7", "thread.missing=2;sender.certificate.expired=1")


def test_csv_names_are_never_read_as_spreadsheet_formulas(cast, staff, story):
    create_mailbox(authority=cast.nordby.authority, name="=HYPERLINK(\"http://x\")")
    rows = csv_rows(staff.client(staff.nora).get(page(cast, "export.csv"), PERIOD))
    assert rows[0]["mailbox"] == "'=HYPERLINK(\"http://x\")"


def test_sydby_gets_not_found_and_a_caseworker_forbidden(cast, staff, story):
    for path in (page(cast), page(cast, "export.csv")):
        assert staff.client(staff.sofie).get(path).status_code == 404
        assert staff.client(staff.niels).get(path).status_code == 403
    anonymous = staff.client(staff.nora)
    anonymous.logout()
    assert anonymous.get(page(cast)).status_code == 302


def test_the_operator_sees_every_organisation_sorted_by_share_in_time(cast, staff, story):
    client = staff.client(staff.otto)
    html = client.get("/portal/platform/statistics/", {**PERIOD, "sort": "share"}).content.decode()
    order = re.findall(r'<tr data-cvr="(\d{8})">', html)
    nordby, sydby = cast.nordby.authority.cvr, cast.sydby.authority.cvr
    assert order.index(sydby) < order.index(nordby)
    assert cells(html, nordby)["share"] == "66.7 %"
    assert cells(html, sydby) | {} == {"received": "1", "answered": "0", "share": "0.0 %", "median": "—",
                                       "p90": "—", "overdue": "1", "refused": "0"}
    assert cells(html, "total")["received"] == "8"
    reversed_order = re.findall(r'<tr data-cvr="(\d{8})">',
                                client.get("/portal/platform/statistics/", {**PERIOD, "sort": "-share"})
                                .content.decode())
    assert reversed_order.index(nordby) < reversed_order.index(sydby)
    assert 'aria-sort="ascending"' in html
    assert f'href="/portal/{nordby}/statistics/?' in html
    assert client.get(page(cast), PERIOD).status_code == 200  # operators may open an organisation's page


def test_the_operators_csv_has_a_row_per_organisation_and_a_platform_total(cast, staff, story):
    rows = csv_rows(staff.client(staff.otto).get("/portal/platform/statistics/export.csv", PERIOD))
    by_cvr = {r["cvr"]: r for r in rows if r["scope"] == "organisation"}
    assert by_cvr[cast.nordby.authority.cvr]["received"] == "7"
    assert by_cvr[cast.sydby.authority.cvr]["unanswered_past_deadline"] == "1"
    assert rows[-1]["scope"] == "platform"
    assert rows[-1]["received"] == "8"


def test_only_operators_reach_the_platform_statistics(cast, staff, story):
    for user in (staff.nora, staff.sofie, staff.niels):
        for path in ("/portal/platform/statistics/", "/portal/platform/statistics/export.csv"):
            assert staff.client(user).get(path).status_code == 404


def test_in_danish_the_figures_use_danish_decimals(cast, staff, story):
    html = staff.client(staff.nora, language="da").get(page(cast), PERIOD).content.decode()
    assert cells(html, "total")["share"] == "66,7 %"
    assert cells(html, "total")["p90"] == "206,4"
