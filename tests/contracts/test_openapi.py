"""Responses match the OpenAPI document the app serves, and the docs work without the internet."""

import re

from django.test import Client


def schema(client: Client) -> dict:
    response = client.get("/apis/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def properties(document: dict, name: str) -> set[str]:
    return set(document["components"]["schemas"][name]["properties"])


def test_sender_api_paths_are_documented(client, db):
    paths = set(schema(client)["paths"])
    assert {"/apis/v1/memos", "/apis/v1/receipts", "/apis/v1/messages/{message_uuid}/events",
            "/apis/v1/contacts", "/apis/v1/contacts/lookup"} <= paths


def test_receipt_and_problem_responses_have_the_documented_fields(cast):
    document = schema(Client())
    accepted = cast.nordby.submit(cast.nordby.memo(cast.anna))
    refused = cast.nordby.submit(cast.nordby.memo(cast.carl))
    problem = Client().get("/apis/v1/receipts")
    assert set(accepted.json()) == properties(document, "ReceiptOut")
    assert set(refused.json()) == properties(document, "ReceiptOut")
    assert set(problem.json()) == properties(document, "ProblemOut")


def test_api_docs_page_loads_its_assets_from_the_app_itself(client, db):
    page = client.get("/apis/v1/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    assert all(asset.startswith("/") and not asset.startswith("//") for asset in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
