"""Registration status: one contact, and bulk look-up of up to 1000."""

import pytest


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("cprNumber=0505851234", "REGISTERED"),
        ("cprNumber=1203702345", "EXEMPT"),
        ("cprNumber=2404603456", "CLOSED"),
        ("cprNumber=0101801111", "UNKNOWN"),
        ("cvrNumber=33770006", "REGISTERED"),
    ],
)
def test_status_of_one_contact(cast, query, status):
    response = cast.nordby.client().get(f"/apis/v1/contacts?{query}")
    assert response.status_code == 200
    assert response.json()["status"] == status


@pytest.mark.parametrize(
    "query", ["cprNumber=123", "cvrNumber=12345678", "", "cprNumber=0505851234&cvrNumber=33770006"]
)
def test_malformed_or_ambiguous_lookup_is_a_400_problem(cast, query):
    response = cast.nordby.client().get(f"/apis/v1/contacts?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errorCode"] in {"contact.id.invalid", "request.invalid"}


def test_bulk_lookup_answers_every_number_in_order(cast):
    response = cast.nordby.client().post(
        "/apis/v1/contacts/lookup",
        data={"cprNumbers": ["0505851234", "2404603456", "0101801111"], "cvrNumbers": ["33770006"]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert [(c["id"], c["status"]) for c in response.json()["contacts"]] == [
        ("0505851234", "REGISTERED"), ("2404603456", "CLOSED"), ("0101801111", "UNKNOWN"), ("33770006", "REGISTERED"),
    ]


def test_bulk_lookup_of_more_than_1000_is_refused(cast):
    response = cast.nordby.client().post(
        "/apis/v1/contacts/lookup", data={"cprNumbers": ["0505851234"] * 1001}, content_type="application/json"
    )
    assert response.status_code == 400


def test_contacts_need_a_token(client, cast):
    assert client.get("/apis/v1/contacts?cprNumber=0505851234").status_code == 401


def test_the_change_feed_lists_registrations_and_exemptions_in_order_and_pages_with_next(cast):
    from django.utils import timezone

    from digitalpost.registry.models import Exemption
    from digitalpost.registry.services import grant_exemption

    client = cast.nordby.client()
    first = client.get("/apis/v1/contacts/changes?after=0&limit=3").json()
    assert [(c["kind"], c["id"]) for c in first["changes"]] == [
        ("REGISTERED", cast.anna.number), ("REGISTERED", cast.bent.number), ("REGISTERED", cast.carl.number)]
    assert first["changes"][0]["data"]["postalCode"] == "8000"
    rest = client.get(f"/apis/v1/contacts/changes?after={first['next']}").json()
    assert [c["id"] for c in rest["changes"]] == [cast.dorte.number, cast.bodil.number]
    assert rest["changes"][0]["idType"] == "CVR"
    grant_exemption(contact=cast.anna, reason=Exemption.Reason.ABROAD, starts_on=timezone.localdate(), ends_on=None,
                    organisation="29190003")
    newer = client.get(f"/apis/v1/contacts/changes?after={rest['next']}").json()
    assert [(c["kind"], c["id"], c["data"]["endsOn"]) for c in newer["changes"]] == [
        ("EXEMPTION_GRANTED", cast.anna.number, None)]
    assert "reason" not in newer["changes"][0]["data"]  # health data: never to senders
    assert client.get(f"/apis/v1/contacts/changes?after={newer['next']}").json() == {
        "changes": [], "next": newer["next"]}
    assert client.get("/apis/v1/contacts?cprNumber=0505851234").json()["status"] == "EXEMPT"


def test_the_change_feed_needs_a_token_and_a_sane_cursor(client, cast):
    assert client.get("/apis/v1/contacts/changes?after=0").status_code == 401
    assert cast.nordby.client().get("/apis/v1/contacts/changes?after=-1").status_code in (400, 422)
