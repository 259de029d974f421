"""Operation ids are part of the published OpenAPI document: clients generated from it name their methods after
them. Ninja derives them from the module an operation lives in, so every module that serves documented
operations must say under which path its ids were published (api.app.PUBLISHED_MODULES); moving a module then
cannot change them unnoticed."""

from __future__ import annotations

from django.test import Client

from digitalpost.api.app import PUBLISHED_MODULES, api


def test_every_documented_operation_comes_from_a_module_with_a_published_path(db):
    api.urls  # noqa: B018 (building the URLs binds the routers)
    modules = {operation.view_func.__module__ for _, router in api._routers
               for path_view in router.path_operations.values() for operation in path_view.operations
               if operation.include_in_schema}
    assert modules - set(PUBLISHED_MODULES) == set()


def test_operation_ids_keep_the_published_router_paths(client: Client, db):
    doc = client.get("/apis/v1/openapi.json").json()
    ids = {op["operationId"] for item in doc["paths"].values() for op in item.values() if "operationId" in op}
    assert all(i.startswith("digitalpost_api_routers_") for i in ids), sorted(ids)
    assert len(ids) >= 50
