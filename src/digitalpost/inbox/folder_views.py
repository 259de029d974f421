"""The mailbox's folders, bulk actions and search. Thin: find the viewer, call one filing selector or service."""

from __future__ import annotations

import uuid
from datetime import date
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from digitalpost.core.errors import DANISH, DigitalPostError
from digitalpost.filing.models import Folder
from digitalpost.filing.selectors import (
    DELETED,
    INBOX,
    SENT,
    InboxCounts,
    SearchQuery,
    access_folder,
    box_in_view,
    boxes_in_view,
    count_inbox,
    count_unread,
    list_box,
    list_folder,
    list_folders,
    list_senders,
    search,
)
from digitalpost.filing.services.folders import (
    create_folder,
    delete_folder,
    mark_messages,
    move_messages,
    rename_folder,
)
from digitalpost.inbox.signin import may_write
from digitalpost.inbox.views import PAGE_SIZE, _safe_next, viewer_required
from digitalpost.messages.models import Message
from digitalpost.messages.selectors import MailboxViewer
from digitalpost.registry.models import Contact
from digitalpost.registry.selectors import get_contact_by_id

BOX_TITLES = {INBOX: "Inbox", SENT: "Sent", DELETED: "Deleted"}
LISTED_FIELDS = ("id", "direction", "read_at", "label", "sender_label", "thread_id", "is_legal_notification",
                 "is_mandatory", "delivered_at", "accepted_at", "authority__name")


class CountedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator told its count, when the page has counted already (count_inbox), instead of counting again."""

    def __init__(self, object_list: QuerySet[Message], per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


def folder_context(request: HttpRequest, viewer: MailboxViewer, *, unread: int | None = None) -> dict[str, object]:
    """What every list page shows beside the list: the folders, the unread count, whether one may change things."""
    return {"folders": list(list_folders(viewer)), "unread": count_unread(viewer) if unread is None else unread,
            "can_write": may_write(request.session), "boxes": boxes_in_view(viewer),
            "arranges_folders": may_write(request.session) and viewer.folders is None}


def mailbox_owner(request: HttpRequest, viewer: MailboxViewer) -> Contact | None:
    """Whose mailbox this is: the signed-in person's own (the header's switcher has read them) or the grantor's."""
    switch = getattr(request, "mailbox_switch", None)
    if switch is not None and switch.acting is None and switch.own.pk == viewer.contact_id:
        return switch.own  # type: ignore[no-any-return]
    return get_contact_by_id(str(viewer.contact_id))


def list_page(request: HttpRequest, viewer: MailboxViewer, *, messages: QuerySet[Message], title: str, box: str,
              folder: Folder | None = None, extra: dict[str, object] | None = None,
              counts: InboxCounts | None = None) -> HttpResponse:
    # Only what inbox/folder.html shows: a message row also holds its MeMo's actions and, until delivered, its bytes.
    listed = messages.select_related("authority").only(*LISTED_FIELDS)
    paginator = (Paginator(listed, PAGE_SIZE) if counts is None
                 else CountedPaginator(listed, PAGE_SIZE, count=counts.total))
    page = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "title": title, "box": box, "folder": folder,
               "owner": mailbox_owner(request, viewer), "moved": request.GET.get("done", ""),
               "here": request.get_full_path(),
               **folder_context(request, viewer, unread=None if counts is None else counts.unread), **(extra or {})}
    return render(request, "inbox/folder.html", context)


def refusal_text(error: DigitalPostError) -> str:
    return DANISH[error.code] if get_language() == "da" and error.code in DANISH else error.spec.text


@viewer_required
def inbox(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    if not box_in_view(viewer, INBOX):
        # A holder whose power leaves Inbox out starts in the first place it covers (an empty list if none is left).
        first = list_folders(viewer).first()
        if box_in_view(viewer, SENT):
            return redirect("inbox:sent")
        if first is not None:
            return redirect("inbox:folder", folder_id=first.pk)
        return list_page(request, viewer, messages=Message.objects.none(), title=_("Inbox"), box=INBOX)
    return list_page(request, viewer, messages=list_box(viewer, INBOX), title=_("Inbox"), box=INBOX,
                     counts=count_inbox(viewer))


@viewer_required
def sent(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    return list_page(request, viewer, messages=list_box(viewer, SENT), title=_("Sent"), box=SENT)


@viewer_required
def deleted(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    return list_page(request, viewer, messages=list_box(viewer, DELETED), title=_("Deleted"), box=DELETED)


@viewer_required
def folder(request: HttpRequest, folder_id: uuid.UUID) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    found = access_folder(viewer, folder_id)
    return list_page(request, viewer, messages=list_folder(viewer, found), title=found.name, box="folder",
                     folder=found)


@viewer_required
@require_http_methods(["GET", "POST"])
def folders(request: HttpRequest) -> HttpResponse:
    """The person's own folders: make one, rename or remove one."""
    viewer = request.viewer  # type: ignore[attr-defined]
    refusal: DigitalPostError | None = None
    if request.method == "POST":
        try:
            create_folder(viewer=viewer, name=request.POST.get("name", ""))
        except DigitalPostError as exc:
            refusal = exc
        else:
            return redirect(reverse("inbox:folders") + "?saved=1")
    return render(request, "inbox/folders.html",
                  {"refusal": refusal, "refusal_text": refusal_text(refusal) if refusal else "",
                   "saved": request.GET.get("saved") == "1", "name": request.POST.get("name", ""),
                   **folder_context(request, viewer)}, status=400 if refusal else 200)


@viewer_required
@require_POST
def folder_rename(request: HttpRequest, folder_id: uuid.UUID) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        rename_folder(viewer=viewer, folder_id=folder_id, name=request.POST.get("name", ""))
    except DigitalPostError as exc:
        access_folder(viewer, folder_id)  # someone else's folder: "not found", never the name check
        return render(request, "inbox/folders.html",
                      {"refusal": exc, "refusal_text": refusal_text(exc), **folder_context(request, viewer)},
                      status=400)
    return redirect(reverse("inbox:folders") + "?saved=1")


@viewer_required
@require_POST
def folder_delete(request: HttpRequest, folder_id: uuid.UUID) -> HttpResponse:
    delete_folder(viewer=request.viewer, folder_id=folder_id)  # type: ignore[attr-defined]
    return redirect(reverse("inbox:folders") + "?saved=1")


@viewer_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """One form for the list's checkboxes: move (to Inbox, Deleted or a folder), mark read or unread."""
    viewer = request.viewer  # type: ignore[attr-defined]
    chosen = request.POST.getlist("message")
    action = request.POST.get("action", "")
    if action == "read":
        mark_messages(viewer=viewer, message_ids=chosen, read=True)
    elif action == "unread":
        mark_messages(viewer=viewer, message_ids=chosen, read=False)
    elif action == "delete":
        move_messages(viewer=viewer, message_ids=chosen, target=DELETED)
    elif action == "restore":
        move_messages(viewer=viewer, message_ids=chosen, target=INBOX)
    elif action == "move":
        move_messages(viewer=viewer, message_ids=chosen, target=request.POST.get("target", ""))
    else:
        return redirect(_safe_next(request.POST.get("next", "")))
    back = _safe_next(request.POST.get("next", ""))
    return redirect(back + ("&" if "?" in back else "?") + urlencode({"done": action}))


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@viewer_required
def search_page(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    query = SearchQuery(text=request.GET.get("q", "")[:200], sender=request.GET.get("sender", "")[:256],
                        received_from=_day(request.GET.get("from", "")), received_to=_day(request.GET.get("to", "")),
                        unread=request.GET.get("unread") == "1", needs_action=request.GET.get("needs_action") == "1")
    kept = {k: v for k in ("q", "sender", "from", "to", "unread", "needs_action") if (v := request.GET.get(k, ""))}
    extra = {"query": query, "senders": list_senders(viewer), "query_string": urlencode(kept), "values": kept}
    if query.is_empty:
        page = Paginator(Message.objects.none(), PAGE_SIZE).get_page(1)
        return render(request, "inbox/folder.html", {
            "page": page, "title": _("Search"), "box": "search", "searched": False,
            "owner": mailbox_owner(request, viewer), "here": request.get_full_path(),
            **folder_context(request, viewer), **extra})
    found = search(viewer, query, now=timezone.now())
    return list_page(request, viewer, messages=found, title=_("Search"), box="search",
                     extra={**extra, "searched": True})
