"""Every admin API operation declares who may call it once: one decorator of api/admin/access.py, whose rule is
the route's access rule, and an operation under /organisations/{cvr} never enters the organisation itself."""

from __future__ import annotations

import inspect
import re
import textwrap

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.api.admin.access import ADMIN_ACCESS_ATTRIBUTE, org_operation
from digitalpost.api.app import api
from digitalpost.core.roles import ACCESS_RULE_ATTRIBUTE, Action


def admin_operations() -> list[tuple[str, object]]:
    api.urls  # noqa: B018 (building the URLs binds the routers)
    return [(path, operation) for _, router in api._routers for path, path_view in router.path_operations.items()
            for operation in path_view.operations
            if operation.view_func.__module__.startswith("digitalpost.api.admin.")]


def body_of(function: object) -> str:
    """The operation's own code: its source without the decorators above it."""
    source = textwrap.dedent(inspect.getsource(inspect.unwrap(function)))  # type: ignore[arg-type]
    return source[source.index("def "):]


def test_every_admin_operation_declares_exactly_one_access():
    operations = admin_operations()
    assert len(operations) >= 40
    for _, operation in operations:
        view = operation.view_func  # type: ignore[attr-defined]
        declared = getattr(view, ADMIN_ACCESS_ATTRIBUTE, ())
        assert len(declared) == 1, (view.__name__, declared)
        assert getattr(view, ACCESS_RULE_ATTRIBUTE) == declared[0], view.__name__


def test_organisation_operations_name_their_action_only_in_the_decorator():
    checked = 0
    for path, operation in admin_operations():
        if "{cvr}" not in path:
            continue
        view = operation.view_func  # type: ignore[attr-defined]
        assert isinstance(getattr(view, ADMIN_ACCESS_ATTRIBUTE)[0], Action), view.__name__
        assert "cvr" not in inspect.signature(inspect.unwrap(view)).parameters, view.__name__
        body = body_of(view)
        assert "access_organisation(" not in body, view.__name__
        # A further right for one option (the doctor's refresh) is asked for with access.require, by name.
        assert "Action." not in re.sub(r"require\(org, Action\.\w+\)", "", body), view.__name__
        checked += 1
    assert checked >= 40


def test_a_second_declaration_on_one_operation_is_seen():
    def operation(request: object, org: OrgAccess) -> None:
        return None

    twice = org_operation(Action.VIEW_SETUP)(org_operation(Action.EDIT_SETUP)(operation))
    assert getattr(twice, ADMIN_ACCESS_ATTRIBUTE) == (Action.EDIT_SETUP, Action.VIEW_SETUP)
