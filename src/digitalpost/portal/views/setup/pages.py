"""What every set-up page shares: the form page, the delete confirmation, saving and showing a refusal on the
form with its code. Not for: pages themselves (the other modules of this package).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from digitalpost.accounts.selectors import OrgAccess
from digitalpost.authorities.selectors import (
    SetupProblem,
)
from digitalpost.core.errors import DigitalPostError
from digitalpost.portal.access import form_error

FORM_PAGE = "portal/setup/form_page.html"
CONFIRM_PAGE = "portal/setup/confirm_delete.html"


def page_url(name: str, org: OrgAccess) -> str:
    return reverse(name, kwargs={"cvr": org.authority.cvr})


@dataclass(frozen=True)
class Page:
    """What a form or confirmation page shows around its form."""

    heading: str
    cancel: str  # where "Cancel" goes back to
    problems: Sequence[SetupProblem] = ()  # wrong set-up flagged above the form
    delete_url: str = ""


def form_page(request: HttpRequest, org: OrgAccess | None, form: Any, page: Page, *, status: int = 200,
              ) -> HttpResponse:
    context = {"org": org, "form": form, "heading": page.heading, "cancel_url": page.cancel,
               "problems": page.problems, "delete_url": page.delete_url}
    return render(request, FORM_PAGE, context, status=status)


def refused_page(request: HttpRequest, org: OrgAccess | None, form: Any, page: Page, exc: DigitalPostError,
                 ) -> HttpResponse:
    form_error(form, exc)
    return form_page(request, org, form, page, status=exc.spec.http)


def submit_form(request: HttpRequest, org: OrgAccess, form: Any, page: Page, write: Callable[[], object],
                done: str, to: str) -> HttpResponse:
    """A set-up form's one path: valid input runs the one service; its refusal shows on the form."""
    if request.method == "POST" and form.is_valid():
        try:
            write()
        except DigitalPostError as exc:
            return refused_page(request, org, form, page, exc)
        return saved_redirect(request, done, to)
    return form_page(request, org, form, page)


def confirm_delete_page(request: HttpRequest, org: OrgAccess, page: Page, label: str,
                        error: DigitalPostError | None = None) -> HttpResponse:
    return render(request, CONFIRM_PAGE, {"org": org, "heading": page.heading, "object_label": label,
                                          "cancel_url": page.cancel, "error": error},
                  status=error.spec.http if error else 200)


def saved_redirect(request: HttpRequest, text: str, to: str) -> HttpResponse:
    messages.success(request, text)
    return redirect(to)
