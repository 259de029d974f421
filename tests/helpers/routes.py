"""Every route the hub serves, each with the access rule it declares (the input of the access-matrix test).

Django pages declare their rule with `core.roles.access_rule` (the portal's and the mailbox's decorators do
it); ninja operations either declare one on their view function or inherit it from their authentication
class. A route with no rule is reported, so a new route cannot slip in without one.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver

from digitalpost.api.receiver.auth import ReceiverSystemAuth
from digitalpost.api.sender.auth import SenderSystemAuth
from digitalpost.core.roles import ACCESS_RULE_ATTRIBUTE, PUBLIC, RECEIVER_SYSTEM, SENDER_SYSTEM

# Framework routes that carry no decorator of ours, each a conscious decision.
FRAMEWORK_PUBLIC = {"set_language", "openapi-json", "openapi-view", "api-root"}


@dataclass(frozen=True)
class Route:
    path: str  # Django route syntax, e.g. "portal/<str:cvr>/mailboxes/<uuid:mailbox_id>/"
    name: str
    methods: tuple[str, ...]  # HTTP methods to try
    rule: object  # an Action, one of the rule constants, or None (undeclared)

    @property
    def params(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.path)

    def url(self, values: dict[str, str]) -> str:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], self.path)


def _ninja_operations(callback: object) -> list[object] | None:
    """The operations behind a ninja path view (its Django callback closes over the PathView)."""
    if not inspect.isfunction(callback) or callback.__name__ not in {"sync_view_wrapper", "async_view_wrapper"}:
        return None
    path_view = inspect.getclosurevars(callback).nonlocals.get("self")
    return list(getattr(path_view, "operations", []))


def _ninja_rule(operation: object) -> object:
    declared = getattr(operation.view_func, ACCESS_RULE_ATTRIBUTE, None)  # type: ignore[attr-defined]
    if declared is not None:
        return declared
    auths = list(getattr(operation, "auth_callbacks", []) or [])
    if not auths:
        return None  # auth=None without a declared rule: must be declared public explicitly
    if all(isinstance(a, SenderSystemAuth) for a in auths):
        return SENDER_SYSTEM
    if all(isinstance(a, ReceiverSystemAuth) for a in auths):
        return RECEIVER_SYSTEM
    return None


def _walk(patterns: list[object], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def all_routes() -> list[Route]:
    routes = []
    for path, pattern in _walk(get_resolver().url_patterns):
        name = pattern.name or ""
        operations = _ninja_operations(pattern.callback)
        if operations is not None:
            for operation in operations:
                rule = _ninja_rule(operation)
                if rule is None and name in FRAMEWORK_PUBLIC:
                    rule = PUBLIC
                methods = tuple(operation.methods)  # type: ignore[attr-defined]
                routes.append(Route(path, operation.view_func.__name__, methods, rule))  # type: ignore[attr-defined]
            continue
        rule = getattr(pattern.callback, ACCESS_RULE_ATTRIBUTE, None)
        if rule is None and name in FRAMEWORK_PUBLIC:
            rule = PUBLIC
        routes.append(Route(path, name, ("GET", "POST"), rule))
    return routes
