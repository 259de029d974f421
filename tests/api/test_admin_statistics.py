"""GET /apis/v1/admin/organisations/{cvr}/statistics: the same figures as the portal page, as documented JSON,
for a chosen period — and refused to other organisations and to roles without statistics."""

from __future__ import annotations

import pytest
from django.test import Client

from digitalpost.accounts.services import issue_admin_token
from helpers.stats_world import PERIOD, Clock, build_story

ADMIN = "/apis/v1/admin/organisations"


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock.install(monkeypatch)


@pytest.fixture
def story(cast, staff, clock):
    return build_story(cast, staff, clock)


def admin_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_admin_token(user=user, name='test').secret}")


def url(cast) -> str:
    return f"{ADMIN}/{cast.nordby.authority.cvr}/statistics"


def test_statistics_of_a_period_in_total_per_mailbox_and_per_week(cast, staff, story):
    response = admin_client(staff.nora).get(url(cast), PERIOD)
    assert response.status_code == 200
    body = response.json()
    assert (body["cvr"], body["deadlineWorkingDays"]) == (cast.nordby.authority.cvr, 3)
    assert body["period"] == {"start": "2025-04-07", "end": "2025-04-27", "days": 21}
    assert body["asOf"].startswith("2025-04-30T10:00:00")
    assert body["total"] == {
        "received": 7, "answered": 5, "answeredInTime": 4, "answeredLate": 1, "unansweredPastDeadline": 1,
        "openWithinDeadline": 1, "shareAnsweredInTimePercent": 66.7, "medianHoursToAnswer": 120.0,
        "p90HoursToAnswer": 206.4, "repliesRefused": 3,
        "repliesRefusedByCode": [{"code": "thread.missing", "count": 2},
                                 {"code": "sender.certificate.expired", "count": 1}],
    }
    boxes = {box["name"]: box for box in body["mailboxes"]}
    assert boxes["Skat"]["id"] == str(story.skat.pk)
    assert boxes["Skat"]["isOpen"] is True
    assert (boxes["Borgerservice"]["figures"]["received"], boxes["Skat"]["figures"]["received"]) == (5, 2)
    assert [(w["monday"], w["received"], w["answered"], w["answeredInTime"]) for w in body["weeks"]] == [
        ("2025-04-07", 3, 3, 3), ("2025-04-14", 2, 2, 1), ("2025-04-21", 2, 0, 0)]
    assert [b["count"] for b in body["answerTimes"]] == [0, 2, 0, 0, 1, 2, 0]
    assert body["answerTimes"][-1] == {"aboveHours": 336, "upToHours": None, "count": 0}


def test_without_a_period_the_last_30_days_and_days_chooses_another_length(cast, staff, story):
    client = admin_client(staff.nora)
    default = client.get(url(cast)).json()
    assert default["period"] == {"start": "2025-04-01", "end": "2025-04-30", "days": 30}
    assert default["total"]["received"] == 9
    week = client.get(url(cast), {"days": 7}).json()
    assert (week["period"]["start"], week["total"]["received"]) == ("2025-04-24", 2)


def test_nothing_to_measure_is_null(cast, staff, clock):
    body = admin_client(staff.nora).get(url(cast)).json()
    assert body["total"]["received"] == 0
    assert body["total"]["shareAnsweredInTimePercent"] is None
    assert body["total"]["medianHoursToAnswer"] is None


def test_an_impossible_period_is_a_problem_naming_the_field(cast, staff, story):
    response = admin_client(staff.nora).get(url(cast), {"from": "2025-04-27", "to": "2025-04-07"})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "request.invalid"
    assert "from" in response.json()["detail"]


def test_other_organisations_and_roles_without_statistics_are_refused(cast, staff, story):
    assert admin_client(staff.sofie).get(url(cast), PERIOD).status_code == 404
    assert admin_client(staff.niels).get(url(cast), PERIOD).status_code == 403
    assert Client().get(url(cast), PERIOD).status_code == 401
    sydby = admin_client(staff.sofie).get(f"{ADMIN}/{cast.sydby.authority.cvr}/statistics", PERIOD).json()
    assert sydby["total"]["received"] == 1
    assert {box["name"] for box in sydby["mailboxes"]} == {"Borgerservice"}


def test_the_response_matches_the_served_openapi_document(cast, staff, story):
    doc = Client().get("/apis/v1/openapi.json").json()
    operation = doc["paths"][f"{ADMIN}/{{cvr}}/statistics"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"cvr", "from", "to", "days"}
    assert {"200", "401", "403", "404"} <= set(operation["responses"])
    schemas = doc["components"]["schemas"]
    body = admin_client(staff.nora).get(url(cast), PERIOD).json()
    assert set(body) == set(schemas["StatisticsOut"]["properties"])
    assert set(body["total"]) == set(schemas["FiguresOut"]["properties"])
    assert set(body["mailboxes"][0]) == set(schemas["MailboxStatisticsOut"]["properties"])


def test_a_malformed_date_or_length_is_a_problem_too(cast, staff, story):
    client = admin_client(staff.nora)
    for query in ({"from": "yesterday"}, {"days": 0}):
        response = client.get(url(cast), query)
        assert response.status_code == 400
        assert response.json()["errorCode"] == "request.invalid"
