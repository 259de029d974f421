"""The NinjaAPI object: routers, authentication, error rendering. Served at /apis/v1/ with docs at /apis/v1/docs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.operation import Operation

from digitalpost.api import admin
from digitalpost.api.errors import problem, render_error, render_unexpected
from digitalpost.api.receiver import memos as receiving
from digitalpost.api.sender import contacts, mass_sends, memos, messages, push_endpoints, receipts
from digitalpost.api.sender.auth import SenderSystemAuth
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import PUBLIC, access_rule

# Operation ids are published: clients generated from the document name their methods after them. Ninja
# derives them from the module path, so each module keeps the path its operations were first published under.
PUBLISHED_MODULES = {
    **{f"digitalpost.api.sender.{name}": f"digitalpost.api.routers.{name}"
       for name in ("memos", "mass_sends", "contacts", "messages", "receipts", "push_endpoints")},
    "digitalpost.api.receiver.memos": "digitalpost.api.routers.receivers",
    **{f"digitalpost.api.admin.{name}": f"digitalpost.api.routers.admin.{name}"
       for name in ("organisations", "users", "mailboxes", "addresses", "senders", "receivers", "materials",
                    "audit", "doctor", "statistics", "register")},
}


class HubAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        module = operation.view_func.__module__
        return f"{PUBLISHED_MODULES.get(module, module)}_{operation.view_func.__name__}".replace(".", "_")


api = HubAPI(
    title="digitalpost sender and admin API",
    version="1",
    description=(
        "Send MeMo messages, pull receipts, follow timelines and look up registration status (sender "
        "systems); set up organisations, mailboxes, systems and roles (admin API under /admin/, personal "
        "admin tokens)."
    ),
    auth=SenderSystemAuth(),
    urls_namespace="api-v1",
)
api.add_router("", memos.router)
api.add_router("", mass_sends.router)
api.add_router("", receipts.router)
api.add_router("", messages.router)
api.add_router("", contacts.router)
api.add_router("", push_endpoints.router)
api.add_router("", receiving.router)  # its own auth: ReceiverSystemAuth
api.add_router("/admin", admin.router)  # its own auth: AdminTokenAuth (personal admin tokens)


@api.get("/health", auth=None, include_in_schema=False)
@access_rule(PUBLIC)
def health(request: HttpRequest) -> dict[str, str]:
    """A static answer: the baseline the ingest benchmark compares against."""
    return {"status": "ok"}


@api.exception_handler(DigitalPostError)
def _catalogue_error(request: HttpRequest, exc: DigitalPostError) -> HttpResponse:
    return render_error(request, exc)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem(ErrorCode.AUTHENTICATION_FAILED)
    response["WWW-Authenticate"] = 'Bearer realm="digitalpost"'
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors
    )
    return problem(ErrorCode.REQUEST_INVALID, fields)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    return render_unexpected(request, exc)
