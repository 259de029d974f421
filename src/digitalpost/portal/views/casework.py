"""Portal pages for casework and the message log.

Caseworkers see only the conversations of the mailboxes named in their membership (`access_inquiry`): they
read them with the citizen's fields and documents, reply through the hub's one reply path, assign them to a
colleague and mark them handled; they also start new letters (`new_letter`, accepted like a REST MeMo). Reading
here never marks anything read for the citizen. The message log shows every message of the organisation with its
timeline and receipts, but content only to the caseworkers of the conversation's mailbox; administrators recall
postponed letters from it.
"""

from __future__ import annotations

import uuid
from http import HTTPStatus
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.authorities.selectors import list_mailboxes, list_materials
from digitalpost.conversations.selectors import (
    access_inquiry,
    access_inquiry_document,
    get_inquiry_fields,
    list_inquiries,
    list_inquiry_mailboxes,
    list_inquiry_messages,
    list_mailbox_caseworkers,
)
from digitalpost.conversations.services.casework import assign_inquiry, mark_inquiry_handled, reply_to_inquiry
from digitalpost.core.errors import DANISH, DigitalPostError
from digitalpost.core.roles import Action
from digitalpost.hub.blobs import blob_store
from digitalpost.messages.models import Document, Message, Thread
from digitalpost.messages.selectors import (
    access_logged_message,
    list_receipts,
    list_timeline,
    may_read_content,
    search_message_log,
)
from digitalpost.messages.services.portal_letters import send_portal_letter
from digitalpost.messages.services.recall import may_recall, recall_message
from digitalpost.portal.access import form_error, org_view
from digitalpost.portal.forms.casework import AssignForm, InquiryFilterForm, LetterForm, MessageLogForm, ReplyForm

PAGE_SIZE = 25
# Shown in the page itself; everything else is offered as a download only.
TEXT_TYPES = {"text/plain"}
MAX_INLINE_TEXT = 200_000


def _entry(message: Message) -> dict[str, object]:
    """One message of a conversation as the inquiry page shows it: fields, documents, inline text."""
    documents: list[Document] = list(message.documents.all())
    texts = {d.position: _text_of(d) for d in documents if d.media_type in TEXT_TYPES and d.size <= MAX_INLINE_TEXT}
    return {
        "message": message,
        "is_inquiry": message.direction == Message.Direction.TO_AUTHORITY,
        "fields": get_inquiry_fields(message),
        "documents": [(d, texts.get(d.position)) for d in documents],
    }


def _text_of(document: Document) -> str:
    return blob_store().read(document.blob).decode("utf-8", errors="replace")


@org_view(Action.HANDLE_INQUIRIES)
def inquiries(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    mailboxes = list(list_inquiry_mailboxes(org))
    form = InquiryFilterForm(mailboxes, request.GET or None)
    threads = list_inquiries(org, status=form.chosen_status(), assigned_to_me=form.assigned_to_me(),
                             mailbox_id=form.chosen_mailbox_id())
    page = Paginator(threads, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "portal/casework/inquiries.html", {
        "org": org, "form": form, "page": page, "mailboxes": mailboxes, "query": query.urlencode(),
    })


def _inquiry_page(request: HttpRequest, org: OrgAccess, thread: Thread, reply_form: ReplyForm) -> HttpResponse:
    entries = [_entry(m) for m in list_inquiry_messages(thread)]
    assign_form = AssignForm(list_mailbox_caseworkers(thread.authority_mailbox),
                             initial={"assignee": str(thread.assigned_to_id or "")})
    return render(request, "portal/casework/inquiry.html", {
        "org": org, "thread": thread, "entries": entries, "reply_form": reply_form, "assign_form": assign_form,
    })


@org_view(Action.HANDLE_INQUIRIES)
@require_http_methods(["GET", "POST"])
def inquiry(request: HttpRequest, org: OrgAccess, thread_id: uuid.UUID) -> HttpResponse:
    thread = access_inquiry(org, thread_id)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            reply_to_inquiry(thread=thread, text=form.reply_text(), attachments=form.files_sent(), actor=org.actor)
        except DigitalPostError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Your reply is sent. It reaches the citizen's mailbox within minutes "
                                        "and shows in the conversation below."))
            return redirect("portal:inquiry", cvr=org.authority.cvr, thread_id=thread.pk)
    return _inquiry_page(request, org, thread, form)


@org_view(Action.HANDLE_INQUIRIES)
@require_POST
def inquiry_assign(request: HttpRequest, org: OrgAccess, thread_id: uuid.UUID) -> HttpResponse:
    thread = access_inquiry(org, thread_id)
    form = AssignForm(list_mailbox_caseworkers(thread.authority_mailbox), request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a caseworker of this mailbox from the list."))
        return redirect("portal:inquiry", cvr=org.authority.cvr, thread_id=thread.pk)
    assignee = form.chosen()
    assign_inquiry(thread=thread, assignee=assignee, actor=org.actor)
    if assignee is None:
        messages.success(request, _("The conversation is no longer assigned to anybody."))
    else:
        messages.success(request, _("The conversation is assigned to %(name)s.")
                         % {"name": assignee.get_full_name() or assignee.get_username()})
    return redirect("portal:inquiry", cvr=org.authority.cvr, thread_id=thread.pk)


@org_view(Action.HANDLE_INQUIRIES)
@require_POST
def inquiry_handled(request: HttpRequest, org: OrgAccess, thread_id: uuid.UUID) -> HttpResponse:
    thread = access_inquiry(org, thread_id)
    handled = request.POST.get("handled") == "1"
    mark_inquiry_handled(thread=thread, handled=handled, actor=org.actor)
    if handled:
        messages.success(request, _("The conversation is marked handled. A new message from the citizen opens "
                                    "it again."))
    else:
        messages.success(request, _("The conversation is open again."))
    return redirect("portal:inquiry", cvr=org.authority.cvr, thread_id=thread.pk)


@org_view(Action.HANDLE_INQUIRIES)
def inquiry_document(
    request: HttpRequest, org: OrgAccess, thread_id: uuid.UUID, message_id: uuid.UUID, position: int
) -> HttpResponseBase:
    found = access_inquiry_document(org, thread_id, message_id, position)
    # Always a download, never rendered in our origin: a citizen's file must not run in the portal.
    response = FileResponse(blob_store().open(found.blob), as_attachment=True, filename=found.filename,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def _letter_form(org: OrgAccess, data: Any = None, files: Any = None) -> LetterForm:
    authority = org.authority
    return LetterForm(data, files, materials=list(list_materials(authority)),
                      mailboxes=list(list_mailboxes(authority)), may_mandatory=authority.may_send_mandatory,
                      may_legal_notification=authority.may_send_legal_notification)


def _refusal(exc: DigitalPostError) -> dict[str, str]:
    """A refused letter as the page shows it: the catalogue code, its text in English and in Danish."""
    return {"code": str(exc.code), "english": exc.text, "danish": DANISH.get(exc.code, "")}


@org_view(Action.SEND_LETTER)
@require_http_methods(["GET", "POST"])
def new_letter(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    """Start a letter to a citizen or company. The recipient's number is POSTed, never put in the URL; on success
    the page moves on to the letter in the message log, whose URL names only the message."""
    form = _letter_form(org, request.POST or None, request.FILES or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            acceptance = send_portal_letter(authority=org.authority, order=form.order(), text=form.letter_text(),
                                            documents=form.documents_sent(), actor=org.actor)
        except DigitalPostError as exc:
            refusal = _refusal(exc)
        else:
            letter = acceptance.message
            if letter.channel == "PRINT":
                messages.success(request, _("The letter “%(label)s” is accepted. The recipient gets it on paper "
                                            "(not registered for Digital Post).") % {"label": letter.label})
            else:
                messages.success(request, _("The letter “%(label)s” is accepted and reaches the recipient's "
                                            "mailbox within minutes.") % {"label": letter.label})
            return redirect("portal:logged_message", cvr=org.authority.cvr, message_id=letter.pk)
    status = 400 if refusal is not None or (form.is_bound and not form.is_valid()) else 200
    return render(request, "portal/casework/new_letter.html", {"org": org, "form": form, "refusal": refusal},
                  status=status)


def _log_search_key(org: OrgAccess) -> str:
    return f"message_log_search:{org.authority.cvr}"


@org_view(Action.VIEW_MESSAGE_LOG)
def message_log(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    """The search is POSTed and kept in the session, never put in the URL: it may hold a CPR number, and URLs end
    up in access logs, browser history and Referer headers. The pages of the result are GET ?page=N."""
    key = _log_search_key(org)
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(key, None)
            return redirect("portal:message_log", cvr=org.authority.cvr)
        form = MessageLogForm(request.POST)
        if form.is_valid():
            request.session[key] = {name: str(value) if value is not None else "" for name, value
                                    in form.cleaned_data.items()}
            return redirect("portal:message_log", cvr=org.authority.cvr)
        found = Message.objects.none()
    else:
        saved = request.session.get(key)
        form = MessageLogForm(saved) if saved else MessageLogForm()
        found = search_message_log(org, form.query())
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/casework/message_log.html", {"org": org, "form": form, "page": page, "query": ""},
                  status=400 if form.is_bound and not form.is_valid() else 200)


@org_view(Action.VIEW_MESSAGE_LOG)
def logged_message(request: HttpRequest, org: OrgAccess, message_id: uuid.UUID) -> HttpResponse:
    found = access_logged_message(org, message_id)
    readable = may_read_content(org, found)
    return render(request, "portal/casework/logged_message.html", {
        "org": org, "message": found, "events": list_timeline(found), "receipts": list_receipts(found),
        "documents": list(found.documents.all()) if readable else None, "readable": readable,
        "may_recall": org.may(Action.RECALL_MESSAGE) and may_recall(found),
    })


@org_view(Action.RECALL_MESSAGE)
@require_POST
def message_recall(request: HttpRequest, org: OrgAccess, message_id: uuid.UUID) -> HttpResponse:
    try:
        recalled = recall_message(authority=org.authority, message_id=message_id, actor=org.actor)
    except DigitalPostError as exc:
        if exc.spec.http == HTTPStatus.NOT_FOUND:
            raise
        messages.error(request, f"{exc.text} [{exc.code}]")
    else:
        messages.success(request, _("The message “%(label)s” is recalled and will not be delivered. The sender "
                                    "system sees MESSAGE_RECALLED on its timeline.") % {"label": recalled.label})
    return redirect("portal:logged_message", cvr=org.authority.cvr, message_id=message_id)


urlpatterns = [
    path("<str:cvr>/inquiries/", inquiries, name="inquiries"),
    path("<str:cvr>/inquiries/<uuid:thread_id>/", inquiry, name="inquiry"),
    path("<str:cvr>/inquiries/<uuid:thread_id>/assign/", inquiry_assign, name="inquiry_assign"),
    path("<str:cvr>/inquiries/<uuid:thread_id>/handled/", inquiry_handled, name="inquiry_handled"),
    path("<str:cvr>/inquiries/<uuid:thread_id>/messages/<uuid:message_id>/documents/<int:position>/",
         inquiry_document, name="inquiry_document"),
    path("<str:cvr>/letters/new/", new_letter, name="new_letter"),
    path("<str:cvr>/message-log/", message_log, name="message_log"),
    path("<str:cvr>/message-log/<uuid:message_id>/", logged_message, name="logged_message"),
    path("<str:cvr>/message-log/<uuid:message_id>/recall/", message_recall, name="message_recall"),
]
