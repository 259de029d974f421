"""The web mailbox pages. Thin: find the viewer, call one selector or service, render."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from digitalpost.attorney.models import PowerOfAttorney
from digitalpost.attorney.selectors import (
    active_power_held,
    list_active_powers_held,
    list_chosen_folder_names,
    mailbox_viewer,
)
from digitalpost.authorities.selectors import (
    access_open_mailbox,
    get_authority_by_cvr,
    list_authorities_with_open_mailboxes,
    list_open_mailboxes,
)
from digitalpost.conversations.selectors import access_thread, list_thread_messages, list_threads
from digitalpost.conversations.services.inquiries import (
    answer_letter,
    may_answer_letter,
    send_followup,
    send_inquiry,
)
from digitalpost.core import actions
from digitalpost.core.errors import DANISH, DigitalPostError, ErrorCode
from digitalpost.core.roles import CITIZEN, PUBLIC, access_rule
from digitalpost.filing.selectors import boxes_in_view, list_folders, list_needing_action_not_deleted
from digitalpost.hub.accessibility import statement_context
from digitalpost.hub.blobs import blob_store
from digitalpost.hub.oidc import begin_sign_in, finish_sign_in, logout_url
from digitalpost.inbox.forms import (
    CompanyAccessForm,
    FollowupForm,
    ForwardForm,
    InquiryForm,
    NotificationSettingsForm,
)
from digitalpost.inbox.signin import (
    ACTING_KEY,
    ADMIN_KEY,
    EMPLOYEE_KEY,
    SESSION_KEY,
    VIA_OIDC_KEY,
    MailboxAccess,
    SignedInPerson,
    check_assurance,
    mailbox_access_for,
    mailbox_provider,
    may_hold_powers,
    may_write,
    open_mailbox_session,
    session_actor,
    session_contact_id,
    session_expired,
)
from digitalpost.messages.archive import stream_archive, summarise_archive
from digitalpost.messages.models import Document, Message
from digitalpost.messages.selectors import (
    MailboxViewer,
    access_document,
    access_message,
)
from digitalpost.messages.services.forwarding import find_forward_recipient, forward_letter
from digitalpost.messages.services.reading import record_read
from digitalpost.notifications.services import forward_by_email
from digitalpost.registry.models import CompanyMailboxAccess, Contact
from digitalpost.registry.selectors import get_contact_by_id, list_company_access, list_demo_identities
from digitalpost.registry.services import grant_company_access, revoke_company_access, set_notification_preferences

PAGE_SIZE = 20
# Documents of these types are shown inside the page; HTML only in a sandboxed frame.
INLINE_TYPES = {"application/pdf", "text/plain", "text/html", "image/png", "image/jpeg", "image/gif"}
NEXT_KEY = "mailbox_next"
# POSTs a company employee with read access may make: they change nothing in the mailbox.
POSTS_THAT_WRITE_NOTHING = {"keep_alive", "switch_mailbox"}
# Pages about the signed-in person themself: opening one leaves the mailbox they were acting in.
OWN_MAILBOX_PAGES = {"powers_of_attorney", "power_of_attorney_end", "notification_settings"}
# POSTs that arrange the folders themselves: the owner's alone, never a folder-limited holder's.
POSTS_THAT_ARRANGE_FOLDERS = {"folders", "folder_rename", "folder_delete"}
# POSTs that file a new message in Sent: a folder-limited holder writes only when Sent is among the chosen
# folders, so they never write what they then could not see.
POSTS_THAT_FILE_IN_SENT = {"answer", "thread", "write_inquiry"}

log = logging.getLogger(__name__)
View = Callable[..., HttpResponseBase]


def refusal_page(request: HttpRequest, error: DigitalPostError, *, status: int | None = None) -> HttpResponse:
    """One clear page per refusal: the code and what to do, in the page's language. Never a claim's value."""
    danish = get_language() == "da" and error.code in DANISH
    return render(request, "inbox/refused.html",
                  {"code": error.code, "text": DANISH[error.code] if danish else error.spec.text},
                  status=status or error.spec.http)


@dataclass(frozen=True)
class MailboxSwitch:
    """The header's switcher: the signed-in citizen's own mailbox, the ones they hold a power for, and which one
    this request acts in (None: their own)."""

    own: Contact
    held: list[PowerOfAttorney]
    acting: PowerOfAttorney | None


def _refuse_write(request: HttpRequest, acting: PowerOfAttorney | None) -> HttpResponse | None:
    """Refuse a POST that would change something, for those who may only look."""
    name = request.resolver_match.url_name if request.resolver_match is not None else None
    if request.method != "POST" or name in POSTS_THAT_WRITE_NOTHING:
        return None
    if acting is not None:
        if acting.level != PowerOfAttorney.Level.READ_WRITE:
            return refusal_page(request, DigitalPostError(ErrorCode.ATTORNEY_READ_ONLY))
        if acting.scope == PowerOfAttorney.Scope.FOLDERS and (
                name in POSTS_THAT_ARRANGE_FOLDERS or (name in POSTS_THAT_FILE_IN_SENT and not acting.opens_sent)):
            return refusal_page(request, DigitalPostError(ErrorCode.ATTORNEY_OUTSIDE_FOLDERS, name or ""))
        return None
    if not may_write(request.session):
        return refusal_page(request, DigitalPostError(ErrorCode.COMPANY_ACCESS_NOT_ALLOWED, "read only"))
    return None


def viewer_required(view: View) -> View:
    @never_cache  # private mail: never from a cache, not even with the browser's Back button
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        contact_id = session_contact_id(request.session)
        if contact_id is None:
            return redirect(f"{settings.LOGIN_URL}?next={request.path}")
        if session_expired(request.session):
            request.session.flush()
            return redirect("inbox:session_expired")
        name = request.resolver_match.url_name if request.resolver_match is not None else None
        if name in OWN_MAILBOX_PAGES:
            request.session.pop(ACTING_KEY, None)  # these pages are about oneself: back in one's own mailbox
        acting: PowerOfAttorney | None = None
        power_id = request.session.get(ACTING_KEY)
        if power_id:
            # Asked on every request: a power that expired or was ended a moment ago opens nothing now.
            acting = active_power_held(contact_id, power_id)
            if acting is None:
                request.session.pop(ACTING_KEY, None)
                return refusal_page(request, DigitalPostError(ErrorCode.ATTORNEY_NOT_ACTIVE))
        refused = _refuse_write(request, acting)
        if refused is not None:
            return refused
        # A holder is the grantor here, narrowed to the power's folders if it has a folder limit.
        viewer = mailbox_viewer(acting) if acting is not None else MailboxViewer(contact_id=contact_id)
        request.viewer = viewer  # type: ignore[attr-defined]
        request.acting = acting  # type: ignore[attr-defined]
        # The "on behalf of" band names the folders a folder-limited power covers.
        request.acting_folders = list_chosen_folder_names(acting) if acting else []  # type: ignore[attr-defined]
        request.mailbox_switch = _switch(request, contact_id, acting)  # type: ignore[attr-defined]
        try:
            return view(request, *args, **kwargs)
        except DigitalPostError as exc:
            if exc.code == ErrorCode.ATTORNEY_OUTSIDE_FOLDERS:
                return refusal_page(request, exc)  # a move beyond the power's folders: say why
            raise Http404(exc.text) from None

    return access_rule(CITIZEN)(wrapper)


def _switch(request: HttpRequest, own_id: uuid.UUID, acting: PowerOfAttorney | None) -> MailboxSwitch | None:
    own = get_contact_by_id(str(own_id))
    if own is None or not may_hold_powers(request.session, own):
        return None
    return MailboxSwitch(own=own, held=list_active_powers_held(own_id), acting=acting)


def acting_for(request: HttpRequest) -> PowerOfAttorney | None:
    """The power the request acts under (set by viewer_required), or None in one's own mailbox."""
    return getattr(request, "acting", None)


def may_write_here(request: HttpRequest) -> bool:
    """Whether the request may write a new message (answer, follow up, write) in the mailbox it acts in: what
    _refuse_write would let through, for the pages to offer only what works."""
    acting = acting_for(request)
    if acting is None:
        return may_write(request.session)
    return acting.level == PowerOfAttorney.Level.READ_WRITE and (
        acting.scope != PowerOfAttorney.Scope.FOLDERS or acting.opens_sent)


def written_by(request: HttpRequest) -> str:
    """What a message written in this request records as its writer besides the owner: the holder's name."""
    acting = acting_for(request)
    return acting.holder.name if acting is not None else ""


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else reverse("inbox:inbox")


@access_rule(PUBLIC)
def home(request: HttpRequest) -> HttpResponse:
    return redirect("inbox:inbox" if request.session.get(SESSION_KEY) else "inbox:login")


@access_rule(PUBLIC)
@require_http_methods(["GET", "POST"])
def demo_login(request: HttpRequest) -> HttpResponse:
    """Sign-in: MitID through OpenID Connect when a provider is configured; the demo picker in demo mode only."""
    provider = mailbox_provider()
    if not settings.DEMO_MODE and provider is None:
        raise Http404("Sign-in is not configured")
    if request.method == "POST" and settings.DEMO_MODE:
        contact = get_contact_by_id(request.POST.get("contact", ""))
        if contact is not None:
            open_mailbox_session(request.session, MailboxAccess(contact, CompanyMailboxAccess.Level.READ_WRITE),
                                 via_oidc=False)
            return redirect(_safe_next(request.GET.get("next", "")))
    identities = list_demo_identities() if settings.DEMO_MODE else []
    return render(request, "inbox/login.html", {"identities": identities, "mitid": provider is not None,
                                                "next": request.GET.get("next", "")})


@access_rule(PUBLIC)
@require_GET
def oidc_start(request: HttpRequest) -> HttpResponseBase:
    provider = mailbox_provider()
    if provider is None:
        raise Http404("MitID sign-in is not configured")
    request.session[NEXT_KEY] = _safe_next(request.GET.get("next", ""))
    redirect_uri = settings.DIGITALPOST_OIDC_REDIRECT_URL or request.build_absolute_uri(reverse("inbox:oidc_callback"))
    try:
        return begin_sign_in(request, provider, redirect_uri)
    except DigitalPostError as exc:
        return refusal_page(request, exc)


@access_rule(PUBLIC)
@never_cache
@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """The provider's answer. Every refusal has its own page, and after any of them nobody is signed in."""
    provider = mailbox_provider()
    if provider is None:
        raise Http404("MitID sign-in is not configured")
    target = request.session.get(NEXT_KEY, reverse("inbox:inbox"))
    try:
        person = SignedInPerson.from_claims(finish_sign_in(request, provider))
        check_assurance(person)
        access = mailbox_access_for(person)
    except DigitalPostError as exc:
        log.info("Mailbox sign-in refused: %s", exc.code)  # the code only: claims may hold a CPR number
        request.session.flush()
        return refusal_page(request, exc)
    open_mailbox_session(request.session, access, via_oidc=True)
    return redirect(_safe_next(str(target)))


@access_rule(PUBLIC)
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Sign out here, and at the identity provider too when the session came from it (RP-initiated log-out)."""
    via_oidc = bool(request.session.get(VIA_OIDC_KEY))
    request.session.flush()
    provider = mailbox_provider()
    if via_oidc and provider is not None:
        back = settings.DIGITALPOST_OIDC_POST_LOGOUT_URL or request.build_absolute_uri(reverse("inbox:signed_out"))
        url = logout_url(provider, post_logout_redirect_uri=back)
        if url is not None:
            return redirect(url)
    return redirect("inbox:signed_out" if via_oidc else "inbox:home")


@access_rule(PUBLIC)
def signed_out(request: HttpRequest) -> HttpResponse:
    return render(request, "inbox/signed_out.html")


@access_rule(PUBLIC)
@require_GET
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    return render(request, "inbox/accessibility.html", statement_context(request))


@access_rule(PUBLIC)
def session_expired_page(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return refusal_page(request, DigitalPostError(ErrorCode.SIGNIN_SESSION_EXPIRED), status=200)


@viewer_required
@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """The idle warning's "stay signed in": viewer_required has noted this request."""
    return HttpResponse(status=204)


# A company's administrator gives and takes its employees' access to the company's mailbox.


def _company_admin(request: HttpRequest) -> Contact:
    company = get_contact_by_id(str(request.viewer.contact_id))  # type: ignore[attr-defined]
    if company is None or company.kind != Contact.Kind.COMPANY or not request.session.get(ADMIN_KEY):
        raise Http404("Not the company's administrator")
    return company


@viewer_required
@require_http_methods(["GET", "POST"])
def company_access(request: HttpRequest) -> HttpResponse:
    company = _company_admin(request)
    form = CompanyAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        grant_company_access(company=company, actor=session_actor(request.session), **form.cleaned_data)
        return redirect(reverse("inbox:company_access") + "?saved=1")
    return render(request, "inbox/company_access.html",
                  {"company": company, "rights": list_company_access(company), "form": form,
                   "saved": request.GET.get("saved") == "1"})


@viewer_required
@require_POST
def company_access_revoke(request: HttpRequest, access_id: uuid.UUID) -> HttpResponse:
    company = _company_admin(request)
    found = next((a for a in list_company_access(company) if a.pk == access_id), None)
    if found is None:
        raise Http404("No such right")
    revoke_company_access(access=found, actor=session_actor(request.session))
    return redirect(reverse("inbox:company_access") + "?saved=1")


def main_document(documents: Iterable[Document]) -> tuple[Document | None, str | None]:
    """A message's main document, and its text when it is plain text (shown in the page itself)."""
    main = next((d for d in documents if d.role == "main"), None)
    if main is None or main.media_type != "text/plain":
        return main, None
    return main, blob_store().read(main.blob).decode("utf-8", errors="replace")


@viewer_required
def message(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    found = access_message(viewer, message_id)
    if found.direction == found.Direction.TO_PARTY:
        # Someone who may only look (a company employee with read access) reads, but never legally notifies.
        # Nor does a power-of-attorney holder: only the recipient's own opening has legal effect.
        record_read(message=found, by_recipient=may_write(request.session) and acting_for(request) is None)
    return _message_page(request, found, form=FollowupForm())


@dataclass(frozen=True)
class ActionButton:
    """One MeMo action as the letter page shows it."""

    index: int
    label: str
    wording: str
    code: str
    link: str | None  # None: no link, or one refused as unsafe
    refused_link: bool
    calendar: bool
    deadline: datetime | None
    start: datetime | None
    expired: bool  # its deadline has passed (an undated action never expires on the page; see needs_action)


def action_buttons(found: Message) -> list[ActionButton]:
    danish = get_language() == "da"
    now = timezone.now()
    buttons = []
    for index, record in enumerate(found.actions):
        link = actions.safe_link(record.get("url"))
        start = record.get("start") or (record.get("reservation") or {}).get("start")
        until = actions.deadline(record)
        buttons.append(ActionButton(
            index=index, label=record["label"], wording=actions.wording(record["code"], danish=danish),
            code=record["code"].lower(), link=link, refused_link=bool(record.get("url")) and link is None,
            calendar=bool(record.get("reservation")), deadline=until,
            start=datetime.fromisoformat(start) if start else None, expired=until is not None and until <= now,
        ))
    return buttons


@viewer_required
@require_GET
def action_calendar(request: HttpRequest, message_id: uuid.UUID, index: int) -> HttpResponse:
    """The appointment of a booking action as a calendar file (.ics) to add to one's own calendar."""
    found = access_message(request.viewer, message_id)  # type: ignore[attr-defined]
    if not 0 <= index < len(found.actions):
        raise Http404("No such action")
    body = actions.calendar_file(found.actions[index], now=timezone.now(), sender=found.sender_label)
    if body is None:
        raise Http404("The action has no appointment")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="aftale-{str(found.pk)[:8]}-{index + 1}.ics"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@viewer_required
def needs_action(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    found = list_needing_action_not_deleted(viewer, now=timezone.now()).select_related("authority")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inbox/needs_action.html", {"page": page})


@viewer_required
def my_data(request: HttpRequest) -> HttpResponse:
    """What the archive of all one's post holds, before it is downloaded."""
    viewer = request.viewer  # type: ignore[attr-defined]
    return render(request, "inbox/my_data.html", {"summary": summarise_archive(viewer),
                                                  "owner": get_contact_by_id(str(viewer.contact_id))})


@viewer_required
@require_GET
def my_data_archive(request: HttpRequest) -> StreamingHttpResponse:
    """All one's post as a zip, streamed as it is written (documents, index.json, index.html)."""
    viewer = request.viewer  # type: ignore[attr-defined]
    owner = get_contact_by_id(str(viewer.contact_id))
    if owner is None:
        raise Http404("No such mailbox")
    now = timezone.now()
    pieces = stream_archive(viewer, owner_name=owner.name, now=now, language=get_language())
    response = StreamingHttpResponse(pieces, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="min-post-{now:%Y-%m-%d}.zip"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _message_page(request: HttpRequest, found: Message, *, form: FollowupForm,
                  refusal: DigitalPostError | None = None, status: int = 200) -> HttpResponse:
    documents = list(found.documents.all())
    main, main_text = main_document(documents)
    return render(
        request, "inbox/message.html",
        {"message": found, "documents": documents, "main": main, "main_text": main_text,
         "actions": action_buttons(found),
         "calendar_wording": actions.CALENDAR_WORDING[0 if get_language() == "da" else 1],
         "may_answer": may_answer_letter(found) and may_write_here(request), "form": form, "refusal": refusal,
         "folders": list(list_folders(request.viewer)),  # type: ignore[attr-defined]
         "boxes": boxes_in_view(request.viewer),  # type: ignore[attr-defined]
         "placement": getattr(found, "placement", None), "can_write": may_write(request.session)},
        status=status,
    )


@viewer_required
@require_POST
def answer(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    """The party answers a letter that asked for an answer: a new conversation with the letter's mailbox."""
    viewer = request.viewer  # type: ignore[attr-defined]
    found = access_message(viewer, message_id)
    form = FollowupForm(request.POST, request.FILES)
    party = get_contact_by_id(str(viewer.contact_id))
    if party is None:
        raise Http404("No such party")
    try:
        if not may_answer_letter(found):
            # Checked before the form, so a forged POST to a letter without an answer gets the code, never a form.
            raise DigitalPostError(ErrorCode.LETTER_ANSWER_NOT_ALLOWED, found.label)
        if form.is_valid():
            sent = answer_letter(party=party, letter=found, text=form.cleaned_data["text"].replace("\r\n", "\n"),
                                 attachments=form.files_sent(), written_by=written_by(request))
            return redirect(f"{reverse('inbox:thread', args=[sent.thread_id])}?sent=1")
    except DigitalPostError as exc:
        status = 403 if exc.code == ErrorCode.LETTER_ANSWER_NOT_ALLOWED else 400
        return _message_page(request, found, form=form, refusal=exc, status=status)
    return _message_page(request, found, form=form, status=400)


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


# Writing to an authority: pick an authority, then one of its open mailboxes (and topic), then write.


@viewer_required
def write(request: HttpRequest) -> HttpResponse:
    return render(request, "inbox/write_authority.html", {"authorities": list_authorities_with_open_mailboxes()})


@viewer_required
def write_to_authority(request: HttpRequest, authority_cvr: str) -> HttpResponse:
    authority = get_authority_by_cvr(authority_cvr)
    mailboxes = list_open_mailboxes(authority) if authority is not None else []
    if not mailboxes:
        raise Http404("No open mailboxes")
    return render(request, "inbox/write_mailbox.html", {"authority": authority, "mailboxes": mailboxes})


@viewer_required
@require_http_methods(["GET", "POST"])
def write_inquiry(request: HttpRequest, mailbox_id: uuid.UUID) -> HttpResponse:
    mailbox = access_open_mailbox(str(mailbox_id))
    refusal: DigitalPostError | None = None
    if request.method == "POST":
        form = InquiryForm(mailbox, request.POST, request.FILES)
        party = get_contact_by_id(str(request.viewer.contact_id))  # type: ignore[attr-defined]
        if party is None:
            raise Http404("No such party")
        if form.is_valid():
            try:
                sent = send_inquiry(party=party, mailbox=mailbox, inquiry=form.to_inquiry(),
                                    written_by=written_by(request))
            except DigitalPostError as exc:
                refusal = exc  # shown on the form, with everything the citizen wrote kept
            else:
                return redirect(f"{reverse('inbox:thread', args=[sent.thread_id])}?sent=1")
    else:
        form = InquiryForm(mailbox, initial={"topic": request.GET.get("topic", "")})
    return render(request, "inbox/write_inquiry.html", {"mailbox": mailbox, "form": form, "refusal": refusal})


# Conversations (dialog threads).


@dataclass(frozen=True)
class ThreadEntry:
    """One message of a conversation as the thread page shows it."""

    message: Message
    documents: list[Document]
    main: Document | None
    main_text: str | None

    @property
    def is_own(self) -> bool:
        return self.message.direction == Message.Direction.TO_AUTHORITY

    @property
    def is_unread(self) -> bool:
        return not self.is_own and self.message.read_at is None


def thread_entry(found: Message) -> ThreadEntry:
    documents = list(found.documents.all())
    if found.direction == Message.Direction.TO_PARTY and found.read_at is None:
        # Unread post is opened on its own page, which records the read for the sender.
        return ThreadEntry(found, documents, None, None)
    return ThreadEntry(found, documents, *main_document(documents))


@viewer_required
def threads(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    page = Paginator(list_threads(viewer), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inbox/threads.html", {"page": page})


@viewer_required
@require_http_methods(["GET", "POST"])
def thread(request: HttpRequest, thread_id: uuid.UUID) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    found = access_thread(viewer, thread_id)
    form = FollowupForm(request.POST or None, request.FILES or None)
    refusal: DigitalPostError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            # access_thread already proved the thread is the viewer's own.
            send_followup(party=found.party, thread=found, text=form.cleaned_data["text"].replace("\r\n", "\n"),
                          attachments=form.files_sent(), written_by=written_by(request))
        except DigitalPostError as exc:
            refusal = exc
        else:
            return redirect(f"{reverse('inbox:thread', args=[found.pk])}?sent=1")
    entries = [thread_entry(m) for m in list_thread_messages(viewer, found)]
    return render(
        request, "inbox/thread.html",
        {"thread": found, "entries": entries, "sent": request.GET.get("sent") == "1", "form": form,
         "refusal": refusal},
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own notice settings: no id in the address, so nobody else's can be reached."""
    viewer = request.viewer  # type: ignore[attr-defined]
    owner = get_contact_by_id(str(viewer.contact_id))
    if owner is None:
        raise Http404("No such mailbox")
    saved = request.GET.get("saved") == "1"
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            set_notification_preferences(contact_id=owner.pk, **form.cleaned_data)
            return redirect(reverse("inbox:notification_settings") + "?saved=1")
        saved = False
    else:
        form = NotificationSettingsForm(initial={"notification_email": owner.notification_email,
                                                 "notify_by_email": owner.notify_by_email,
                                                 "mobile_number": owner.mobile_number})
    return render(request, "inbox/notification_settings.html", {"form": form, "owner": owner, "saved": saved})


def forwarder_name(request: HttpRequest) -> str:
    """Who a forward says it came from: the person, the holder on the owner's behalf, or the company's employee."""
    acting = acting_for(request)
    if acting is not None:
        return f"{acting.holder.name} på vegne af {acting.grantor.name}"
    owner = get_contact_by_id(str(request.viewer.contact_id))  # type: ignore[attr-defined]
    name = owner.name if owner is not None else ""
    employee = request.session.get(EMPLOYEE_KEY) or {}
    return f"{employee.get('name') or employee.get('id')} ({name})" if employee else name


@viewer_required
@require_http_methods(["GET", "POST"])
def forward(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    """Forward a letter to another Digital Post recipient (a copy; the original stays), or by e-mail."""
    found = access_message(request.viewer, message_id)  # type: ignore[attr-defined]
    if found.direction != Message.Direction.TO_PARTY:
        raise Http404("Only letters are forwarded")
    email_allowed = settings.DIGITALPOST_FORWARD_TO_EMAIL
    form = ForwardForm(request.POST or None, email_allowed=email_allowed)
    refusal: DigitalPostError | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["channel"] == "email" and email_allowed:
                forward_by_email(letter=found, address=data["email"], include_documents=data["include_documents"],
                                 forwarded_by=forwarder_name(request))
                return redirect(reverse("inbox:message", args=[found.pk]) + "?forwarded=email")
            recipient = find_forward_recipient(data["number"])
            forward_letter(letter=found, recipient=recipient, forwarded_by=forwarder_name(request))
            return redirect(reverse("inbox:message", args=[found.pk]) + "?forwarded=digital")
        except DigitalPostError as exc:
            refusal = exc
    status = 400 if request.method == "POST" else 200
    return render(request, "inbox/forward.html", {"message": found, "form": form, "refusal": refusal,
                                                  "email_allowed": email_allowed}, status=status)
