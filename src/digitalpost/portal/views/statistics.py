"""Portal pages: an organisation's reply statistics (figures, charts, CSV) and the operator's view of all of them.

Read-only. The period comes from the query string (?from=&to= or ?days=7/30/90/365; default the last 30
days), so a chosen view can be bookmarked and exported as shown. The figures are defined in
docs/statistics.md and computed by digitalpost.stats.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.core.errors import DigitalPostError
from digitalpost.core.roles import Action
from digitalpost.portal.access import org_view, platform_view
from digitalpost.stats.chart import bucket_label, distribution_chart, week_label, weekly_chart
from digitalpost.stats.export import organisation_csv, platform_csv
from digitalpost.stats.figures import PRESET_DAYS, Period, choose_period
from digitalpost.stats.selectors import (
    get_organisation_statistics,
    list_platform_statistics,
    sort_platform_statistics,
)

# The operator's table: (?sort= key or "" for a column that does not sort, heading).
PLATFORM_COLUMNS = [
    ("name", _("Organisation")), ("", _("Deadline (working days)")), ("received", _("Received")),
    ("", _("Answered")), ("share", _("Answered in time")), ("median", _("Median hours to answer")),
    ("", _("p90 hours to answer")), ("overdue", _("Unanswered past deadline")), ("refused", _("Replies refused")),
]


class PeriodForm(forms.Form):
    """?from=&to= (dates) or ?days= (a preset). Field names match the admin API's query."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        date_input = forms.DateInput(attrs={"type": "date"})
        self.fields["from"] = forms.DateField(label=_("From"), required=False, widget=date_input)
        self.fields["to"] = forms.DateField(label=_("To"), required=False, widget=date_input)
        self.fields["days"] = forms.TypedChoiceField(
            label=_("Or the last"), required=False, coerce=int, empty_value=None,
            choices=[("", "—"), *((str(n), gettext("%(n)d days") % {"n": n}) for n in PRESET_DAYS)],
        )

    def period(self) -> Period:
        """The chosen period; the default (last 30 days) when the form is empty or invalid (errors shown)."""
        today = timezone.localdate()
        if not self.is_valid():
            return choose_period(today=today)
        data = self.cleaned_data
        try:
            return choose_period(today=today, start=data["from"], end=data["to"], days=data["days"])
        except DigitalPostError as exc:
            self.add_error(None, exc.detail or exc.text)
            return choose_period(today=today)


def _period(request: HttpRequest) -> tuple[PeriodForm, Period]:
    default = choose_period(today=timezone.localdate())
    form = PeriodForm(request.GET or None, initial={"from": default.start, "to": default.end})
    return form, form.period() if form.is_bound else default


def _query(request: HttpRequest, *drop: str) -> str:
    query = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    return query.urlencode()


def _csv_response(lines: Any, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@org_view(Action.VIEW_STATISTICS)
def statistics(request: HttpRequest, org: OrgAccess) -> HttpResponse:
    form, period = _period(request)
    stats = get_organisation_statistics(org.authority, period)
    return render(request, "portal/statistics/organisation.html", {
        "org": org, "form": form, "stats": stats, "presets": PRESET_DAYS, "query": _query(request),
        "weekly_chart": weekly_chart(stats.weeks), "distribution_chart": distribution_chart(stats.buckets),
        "weeks": [(week_label(w), w) for w in stats.weeks],
        "buckets": [(bucket_label(b), b) for b in stats.buckets],
    })


@org_view(Action.VIEW_STATISTICS)
def statistics_export(request: HttpRequest, org: OrgAccess) -> StreamingHttpResponse:
    _form, period = _period(request)
    stats = get_organisation_statistics(org.authority, period)
    return _csv_response(organisation_csv(stats),
                         f"statistics-{stats.cvr}-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv")


@platform_view
def platform_statistics(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    sort = request.GET.get("sort", "name")
    stats = sort_platform_statistics(list_platform_statistics(period), sort)
    return render(request, "portal/statistics/platform.html", {
        "form": form, "stats": stats, "presets": PRESET_DAYS, "sort": sort, "columns": PLATFORM_COLUMNS,
        "query": _query(request), "period_query": _query(request, "sort"),
    })


@platform_view
def platform_statistics_export(request: HttpRequest) -> StreamingHttpResponse:
    _form, period = _period(request)
    stats = sort_platform_statistics(list_platform_statistics(period), request.GET.get("sort", "name"))
    return _csv_response(platform_csv(stats),
                         f"statistics-platform-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv")


urlpatterns = [
    path("platform/statistics/", platform_statistics, name="platform_statistics"),
    path("platform/statistics/export.csv", platform_statistics_export, name="platform_statistics_export"),
    path("<str:cvr>/statistics/", statistics, name="statistics"),
    path("<str:cvr>/statistics/export.csv", statistics_export, name="statistics_export"),
]
