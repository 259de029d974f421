"""The admin API in the served OpenAPI document: every operation documented, behind the admin token scheme,
carrying an access rule, and answering in the documented shapes."""

from __future__ import annotations

from django.test import Client

from digitalpost.accounts.services import issue_admin_token
from digitalpost.api.app import api
from digitalpost.core.roles import ACCESS_RULE_ATTRIBUTE

ADMIN = "/apis/v1/admin"
METHODS = {"get", "post", "put", "delete", "patch"}


def document(client: Client) -> dict:
    response = client.get("/apis/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def admin_operations(doc: dict) -> list[tuple[str, str, dict]]:
    return [(path, method, op) for path, item in doc["paths"].items() if path.startswith(ADMIN)
            for method, op in item.items() if method in METHODS]


def test_every_set_up_object_has_admin_paths(client, db):
    paths = {path for path, _, _ in admin_operations(document(client))}
    base = f"{ADMIN}/organisations/{{cvr}}"
    for kind in ("mailboxes", "users", "secure-addresses", "sender-systems", "receiver-systems", "materials",
                 "subscription-groups", "certificates", "audit"):
        assert f"{base}/{kind}" in paths, kind
    assert f"{ADMIN}/organisations" in paths
    assert base in paths


def test_every_admin_operation_uses_the_admin_token_scheme_and_documents_refusals(client, db):
    doc = document(client)
    scheme = doc["components"]["securitySchemes"]["AdminTokenAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    operations = admin_operations(doc)
    assert len(operations) >= 40
    for path, method, op in operations:
        assert op["security"] == [{"AdminTokenAuth": []}], (method, path)
        assert "401" in op["responses"], (method, path)
        assert op.get("summary"), (method, path)


def test_no_sender_operation_accepts_the_admin_scheme(client, db):
    doc = document(client)
    for path, item in doc["paths"].items():
        if path.startswith(ADMIN):
            continue
        for method, op in item.items():
            if method in METHODS:
                assert {"AdminTokenAuth": []} not in op.get("security", []), (method, path)


def test_every_registered_admin_operation_carries_an_access_rule(db):
    api.urls  # noqa: B018 (building the URLs binds the routers)
    found = 0
    for _, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                if operation.view_func.__module__.startswith("digitalpost.api.admin"):
                    found += 1
                    assert getattr(operation.view_func, ACCESS_RULE_ATTRIBUTE, None), operation.view_func.__name__
    assert found >= 40


def test_responses_have_the_documented_fields(staff, cast):
    doc = document(Client())
    schemas = doc["components"]["schemas"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_admin_token(user=staff.nora, name='t').secret}")
    base = f"{ADMIN}/organisations/{cast.nordby.authority.cvr}"
    checks = {
        "OrganisationOut": client.get(base).json(),
        "MailboxOut": client.get(f"{base}/mailboxes").json()[0],
        "MemberOut": client.get(f"{base}/users").json()[0],
        "SenderSystemOut": client.get(f"{base}/sender-systems").json()[0],
        "AuditPageOut": client.get(f"{base}/audit").json(),
        "ProblemOut": client.get(f"{ADMIN}/organisations/12345674").json(),
    }
    for name, body in checks.items():
        assert set(body) == set(schemas[name]["properties"]), name
