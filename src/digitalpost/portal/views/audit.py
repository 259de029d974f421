"""Portal pages: an organisation's audit log (with CSV/JSON export) and the operator's platform-wide log.

Read-only: the log is written by the set-up services (audit.services.record_change), never from here. The
filters live in the query string, so a filtered view can be bookmarked and exported as shown.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.audit.models import AuditEntry
from digitalpost.audit.selectors import (
    AuditFilter,
    csv_lines,
    export_rows,
    filter_entries,
    json_array,
    list_changes,
    list_entries,
    verify_audit_log,
)
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Action
from digitalpost.portal.access import org_view, platform_view

PAGE_SIZE = 50
EXPORT_FORMATS = ("csv", "json")


class AuditFilterForm(forms.Form):
    """The filters above the log. Kept here, next to its only page, rather than in portal/forms/."""

    action = forms.CharField(
        label=_("Action"), required=False, max_length=64,
        help_text=_("The start of an action, e.g. \"mailbox\" or \"role.granted\"."),
    )
    actor = forms.CharField(label=_("Changed by"), required=False, max_length=150,
                            help_text=_("Part of a user name, or \"cli\" / \"system\"."))
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start date is after the end date. Swap them."))
        return data

    def wanted(self) -> AuditFilter:
        if not self.is_valid():
            return AuditFilter()
        data = self.cleaned_data
        return AuditFilter(action_prefix=data["action"], actor=data["actor"], since=data["since"],
                           until=data["until"])


class PlatformFilterForm(AuditFilterForm):
    organisation = forms.CharField(
        label=_("Organisation"), required=False, max_length=8,
        help_text=_("A CVR number, or \"platform\" for platform-wide entries. Empty: every entry."),
    )

    def wanted(self) -> AuditFilter:
        base = super().wanted()
        if not self.is_valid() or not self.cleaned_data["organisation"]:
            return base
        chosen = self.cleaned_data["organisation"].strip()
        return AuditFilter(action_prefix=base.action_prefix, actor=base.actor, since=base.since,
                           until=base.until, organisation="" if chosen == "platform" else chosen)


def _page_context(request: HttpRequest, entries: QuerySet[AuditEntry], form: AuditFilterForm) -> dict[str, Any]:
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "form": form, "page": page, "rows": [(entry, list_changes(entry)) for entry in page],
        "query": query.urlencode(),
    }


@org_view(Action.VIEW_AUDIT)
def audit_log(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    entries = filter_entries(list_entries(organisation=org.authority.cvr), form.wanted())
    return render(request, "portal/audit/log.html", {"org": org, **_page_context(request, entries, form)})


@org_view(Action.VIEW_AUDIT)
def audit_export(request: HttpRequest, org: OrgAccess, fmt: str) -> HttpResponse | StreamingHttpResponse:
    entries = filter_entries(list_entries(organisation=org.authority.cvr), AuditFilterForm(request.GET).wanted())
    return export_response(entries, fmt=fmt, name=f"audit-{org.authority.cvr}")


@platform_view
def platform_audit(request: HttpRequest) -> HttpResponse:
    form = PlatformFilterForm(request.GET or None)
    entries = filter_entries(list_entries(organisation=None), form.wanted())
    return render(request, "portal/audit/platform.html", {
        "verification": verify_audit_log(), **_page_context(request, entries, form),
    })


@platform_view
def platform_audit_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    entries = filter_entries(list_entries(organisation=None), PlatformFilterForm(request.GET).wanted())
    return export_response(entries, fmt=fmt, name="audit-platform")


def export_response(entries: QuerySet[AuditEntry], *, fmt: str, name: str) -> HttpResponse | StreamingHttpResponse:
    if fmt not in EXPORT_FORMATS:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, "format: export as .csv or .json")
    rows = export_rows(entries)
    if fmt == "csv":
        response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(json_array(rows), content_type="application/json")
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urlpatterns = [
    path("platform/audit/", platform_audit, name="platform_audit"),
    path("platform/audit/export.<str:fmt>", platform_audit_export, name="platform_audit_export"),
    path("<str:cvr>/audit/", audit_log, name="audit"),
    path("<str:cvr>/audit/export.<str:fmt>", audit_export, name="audit_export"),
]
