"""The NinjaAPI object: routers, authentication, error rendering. Served at /apis/v1/ with docs at /apis/v1/docs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from digitalpost.api.auth import SenderSystemAuth
from digitalpost.api.errors import problem, render_error, render_unexpected
from digitalpost.api.routers import admin, contacts, mass_sends, memos, messages, receipts, receivers
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import PUBLIC, access_rule

api = NinjaAPI(
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
api.add_router("", receivers.router)  # its own auth: ReceiverSystemAuth
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
