"""Every integer parameter the API publishes is bounded: huge, negative and non-numeric values are refused with
400 and an error code through the real server, never a 500 (a huge `after` used to overflow the database driver).
The walk follows the published OpenAPI document, so a new integer parameter is covered without editing this."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from digitalpost.accounts.services import issue_admin_token
from digitalpost.systems.services.receivers import create_pull_receiver

BAD_NUMBERS = ["99999999999999999999999", "-99999999999999999999999", "9223372036854775808", "-1", "abc", "1e400",
               "NaN", ""]


def integer_parameters(document: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """(method, path, where, name) of every integer query or path parameter."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                types = {schema.get("type")} | {option.get("type") for option in schema.get("anyOf", [])}
                if "integer" in types:
                    yield method, path, parameter["in"], parameter["name"]


def schema_of(document: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    parameter = next(p for p in document["paths"][path][method]["parameters"] if p["name"] == name)
    schema = parameter["schema"]
    return next((option for option in schema.get("anyOf", []) if option.get("type") == "integer"), schema)


@pytest.fixture
def api(live_server, tx_cast, staff) -> dict[str, Any]:
    _, receiver_token = create_pull_receiver(authority=tx_cast.nordby.authority, name="Nordby ESDH")
    admin_token = issue_admin_token(user=staff.nora, name="walk").secret
    document = requests.get(f"{live_server.url}/apis/v1/openapi.json", timeout=30).json()
    return {"base": live_server.url, "document": document, "cvr": tx_cast.nordby.authority.cvr,
            "tokens": {"admin": admin_token, "receiving": receiver_token, "sender": tx_cast.nordby.token}}


@pytest.fixture
def staff(tx_cast):
    from cast import build_staff

    return build_staff(tx_cast)


def token_for(api: dict[str, Any], path: str) -> str:
    audience = path.removeprefix("/apis/v1/").split("/", 1)[0]
    return api["tokens"].get(audience, api["tokens"]["sender"])


def fill_path(api: dict[str, Any], path: str) -> str:
    values = {"cvr": api["cvr"], "username": "nora", "role": "caseworker"}
    return re.sub(r"\{(\w+)\}", lambda match: values.get(match.group(1), str(uuid.uuid4())), path)


def test_every_integer_parameter_has_bounds_in_the_published_schema(api):
    found = list(integer_parameters(api["document"]))
    assert len(found) >= 8, found  # the walk below must have something to walk
    unbounded = [(method, path, name) for method, path, _, name in found
                 if "maximum" not in schema_of(api["document"], path, method, name)
                 or "minimum" not in schema_of(api["document"], path, method, name)]
    assert unbounded == []


def test_bad_numbers_in_every_integer_parameter_are_refused_with_a_code(api):
    answers: dict[tuple[str, str, str, str], tuple[int, str]] = {}
    for method, path, where, name in integer_parameters(api["document"]):
        url = api["base"] + fill_path(api, path)
        for value in BAD_NUMBERS:
            response = requests.request(method.upper(), url, params={name: value} if where == "query" else None,
                                        headers={"Authorization": f"Bearer {token_for(api, path)}"}, timeout=30)
            body = response.json() if "json" in response.headers.get("Content-Type", "") else {}
            answers[(method, path, name, value)] = (response.status_code, body.get("errorCode", ""))
    assert answers
    wrong = {key: answer for key, answer in answers.items()
             if not (400 <= answer[0] < 500 and answer[1])}
    assert wrong == {}
    # An empty value means "not given" for optional parameters; every other bad value is a REQUEST_INVALID.
    assert {answer for key, answer in answers.items() if key[3]} == {(400, "request.invalid")}
