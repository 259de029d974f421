"""The web mailbox pages. Thin: find the viewer, call one selector or service, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from digitalpost.core.errors import DigitalPostError
from digitalpost.messages.blobs import blob_store
from digitalpost.messages.selectors import (
    MailboxViewer,
    access_document,
    access_message,
    count_unread,
    list_inbox,
)
from digitalpost.messages.services.reading import record_read
from digitalpost.registry.selectors import get_contact_by_id, list_demo_identities

SESSION_KEY = "mailbox_contact_id"
PAGE_SIZE = 20
# Documents of these types are shown inside the page; HTML only in a sandboxed frame.
INLINE_TYPES = {"application/pdf", "text/plain", "text/html", "image/png", "image/jpeg", "image/gif"}

View = Callable[..., HttpResponseBase]


def viewer_required(view: View) -> View:
    @never_cache  # private mail: never from a cache, not even with the browser's Back button
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        contact_id = request.session.get(SESSION_KEY)
        if not contact_id:
            return redirect(f"{settings.LOGIN_URL}?next={request.path}")
        request.viewer = MailboxViewer(contact_id=uuid.UUID(contact_id))  # type: ignore[attr-defined]
        try:
            return view(request, *args, **kwargs)
        except DigitalPostError as exc:
            raise Http404(exc.text) from None

    return wrapper


def home(request: HttpRequest) -> HttpResponse:
    return redirect("inbox:inbox" if request.session.get(SESSION_KEY) else "inbox:login")


@require_http_methods(["GET", "POST"])
def demo_login(request: HttpRequest) -> HttpResponse:
    """Demo sign-in: pick a demo identity. Production sign-in (OpenID Connect) replaces this page."""
    if not settings.DEMO_MODE:
        raise Http404("Demo sign-in is off")
    if request.method == "POST":
        contact = get_contact_by_id(request.POST.get("contact", ""))
        if contact is not None:
            request.session.cycle_key()
            request.session[SESSION_KEY] = str(contact.pk)
            target = request.GET.get("next", "")
            return redirect(target if target.startswith("/") and not target.startswith("//") else "inbox:inbox")
    return render(request, "inbox/login.html", {"identities": list_demo_identities()})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return redirect("inbox:home")


@viewer_required
def inbox(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    page = Paginator(list_inbox(viewer).select_related("authority"), PAGE_SIZE).get_page(request.GET.get("page"))
    owner = get_contact_by_id(str(viewer.contact_id))
    return render(request, "inbox/inbox.html", {"page": page, "owner": owner, "unread": count_unread(viewer)})


@viewer_required
def message(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    found = access_message(viewer, message_id)
    if found.direction == found.Direction.TO_PARTY:
        record_read(message=found)
    documents = list(found.documents.all())
    main = next((d for d in documents if d.role == "main"), None)
    main_text = None
    if main is not None and main.media_type == "text/plain":
        main_text = blob_store().read(main.blob).decode("utf-8", errors="replace")
    return render(
        request, "inbox/message.html", {"message": found, "documents": documents, "main": main, "main_text": main_text}
    )


@viewer_required
def document(request: HttpRequest, message_id: uuid.UUID, position: int) -> HttpResponseBase:
    found = access_document(request.viewer, message_id, position)  # type: ignore[attr-defined]
    inline = found.media_type in INLINE_TYPES and request.GET.get("download") != "1"
    response = FileResponse(
        blob_store().open(found.blob), as_attachment=not inline, filename=found.filename,
        content_type=found.media_type if inline else "application/octet-stream",
    )
    if found.media_type != "application/pdf":
        # A sender's HTML must never run script or reach anything in our origin. (Chromium's PDF viewer
        # refuses to run under a sandbox policy, and it never runs a PDF's script in our origin.)
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
