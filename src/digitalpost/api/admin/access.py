"""The admin API's door: every operation declares who may call it once, in one decorator.

    @router.get("/organisations/{cvr}/mailboxes", response=...)
    @org_operation(Action.VIEW_SETUP)
    def get_mailboxes(request: AdminRequest, org: OrgAccess) -> list[MailboxOut]: ...

`org_operation` takes the CVR from the path, enters the organisation as the token's user through
accounts.selectors.access_organisation (not a member or no such CVR: 404; role too low: 403 naming who may)
and calls the operation with the guarded OrgAccess in place of the CVR, as the portal's `org_view` does.
`platform_operation` is for platform operators (no organisation in the URL; everyone else gets 404) and hands
the operation the operator as an Actor; `signed_in_operation` is for the token's user about themselves.

Each decorator also sets the route's access rule (core.roles.access_rule) for the access-matrix test, and
records its declaration under ADMIN_ACCESS_ATTRIBUTE so a contract test can prove every admin operation
declares exactly one. Not for: the sender and receiver APIs, whose authentication is their access rule.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from functools import wraps
from typing import Any

from digitalpost.accounts.selectors import OrgAccess, access_organisation, actor_of, is_operator
from digitalpost.api.admin.auth import AdminRequest
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import SIGNED_IN, Action, access_rule

Operation = Callable[..., Any]

# The access declarations an operation carries, outermost last; the contract test wants exactly one.
ADMIN_ACCESS_ATTRIBUTE = "admin_access"


def _declare(wrapper: Operation, rule: str | Action) -> Operation:
    declared = getattr(wrapper, ADMIN_ACCESS_ATTRIBUTE, ())  # copied from a wrapped operation by @wraps
    setattr(wrapper, ADMIN_ACCESS_ATTRIBUTE, (*declared, rule))
    return access_rule(rule)(wrapper)


def _signature(operation: Operation, second: inspect.Parameter | None) -> inspect.Signature:
    """The operation's signature as ninja must see it: its second parameter (the guarded access) replaced by
    `second` or dropped, and every annotation resolved in the operation's own module."""
    hints = typing.get_type_hints(operation, include_extras=True)
    params = [p.replace(annotation=hints.get(p.name, p.annotation))
              for p in inspect.signature(operation).parameters.values()]
    params[1:2] = [] if second is None else [second]
    return inspect.Signature(params, return_annotation=hints.get("return", inspect.Signature.empty))


def org_operation(action: Action) -> Callable[[Operation], Operation]:
    def decorate(operation: Operation) -> Operation:
        @wraps(operation)
        def wrapper(request: AdminRequest, *args: Any, cvr: str, **kwargs: Any) -> Any:
            return operation(request, access_organisation(request.auth, cvr, action), *args, **kwargs)

        cvr = inspect.Parameter("cvr", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str)
        wrapper.__signature__ = _signature(operation, cvr)  # type: ignore[attr-defined]
        return _declare(wrapper, action)

    return decorate


def platform_operation(refusal: str) -> Callable[[Operation], Operation]:
    """Operators only; anyone else is told the route does not exist, with `refusal` as the detail."""

    def decorate(operation: Operation) -> Operation:
        @wraps(operation)
        def wrapper(request: AdminRequest, *args: Any, **kwargs: Any) -> Any:
            if not is_operator(request.auth):
                raise DigitalPostError(ErrorCode.ORGANISATION_NOT_FOUND, refusal)
            return operation(request, actor_of(request.auth), *args, **kwargs)

        wrapper.__signature__ = _signature(operation, None)  # type: ignore[attr-defined]
        return _declare(wrapper, Action.OPERATE_PLATFORM)

    return decorate


def signed_in_operation(operation: Operation) -> Operation:
    return _declare(operation, SIGNED_IN)


def require(org: OrgAccess, action: Action) -> OrgAccess:
    """A further right that one option of an operation needs (the doctor's refresh), checked by the same door."""
    return access_organisation(org.user, org.authority.cvr, action)
