"""Power of attorney in the web mailbox: give and end powers, and switch between one's own mailbox and the ones
one holds a power for.

The holder's CPR number travels only in the grant form's POST body; powers are addressed by their opaque id.
Which mailbox a request acts in is `inbox.views.viewer_required`'s business: it checks the power on every request.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from digitalpost.attorney.models import PowerOfAttorney
from digitalpost.attorney.selectors import (
    active_power_held,
    get_power_given,
    get_power_held,
    is_active,
    list_chosen_folder_names,
    list_folder_choices,
    list_powers_given,
    list_powers_held,
)
from digitalpost.attorney.services import citizen_actor, end_power, find_holder, grant_power, record_use
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.inbox.forms import PowerOfAttorneyForm
from digitalpost.inbox.signin import ACTING_KEY, may_hold_powers, session_contact_id
from digitalpost.inbox.views import refusal_page, viewer_required
from digitalpost.registry.models import Contact
from digitalpost.registry.selectors import get_contact_by_id


def _own(request: HttpRequest) -> Contact:
    """The signed-in citizen themself (never the mailbox they may be acting in)."""
    own = get_contact_by_id(str(session_contact_id(request.session)))
    if own is None or not may_hold_powers(request.session, own):
        raise Http404("Powers of attorney are for citizens signed in as themselves")
    return own


@viewer_required
@require_http_methods(["GET", "POST"])
def powers_of_attorney(request: HttpRequest) -> HttpResponse:
    """The powers the citizen gave (and may end) and holds; the form to give a new one."""
    own = _own(request)
    form = PowerOfAttorneyForm(request.POST or None, folder_choices=list_folder_choices(own.pk))
    refusal: DigitalPostError | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            holder = find_holder(data["holder_cpr"])
            grant_power(grantor=own, holder=holder, level=data["level"], starts_on=data["starts_on"],
                        ends_on=data["ends_on"], folders=form.chosen_folders(), actor=citizen_actor(own))
        except DigitalPostError as exc:
            refusal = exc
        else:
            return redirect(reverse("inbox:powers_of_attorney") + "?saved=1")
    given = [(p, is_active(p), list_chosen_folder_names(p)) for p in list_powers_given(own.pk)]
    held = [(p, is_active(p), list_chosen_folder_names(p)) for p in list_powers_held(own.pk)]
    status = 400 if request.method == "POST" else 200
    return render(request, "inbox/powers_of_attorney.html",
                  {"own": own, "form": form, "refusal": refusal, "given": given, "held": held,
                   "saved": request.GET.get("saved") == "1", "ended": request.GET.get("ended") == "1"},
                  status=status)


@viewer_required
@require_POST
def power_of_attorney_end(request: HttpRequest, power_id: uuid.UUID) -> HttpResponse:
    """End a power one gave, or give up one one holds: no access through it from now on."""
    own = _own(request)
    power = get_power_given(own.pk, power_id) or get_power_held(own.pk, power_id)
    if power is None:
        raise Http404("No such power of attorney")
    end_power(power=power, actor=citizen_actor(own))
    return redirect(reverse("inbox:powers_of_attorney") + "?ended=1")


@viewer_required
@require_POST
def switch_mailbox(request: HttpRequest) -> HttpResponse:
    """Switch into a mailbox one holds a power for (recorded in the audit log), or back to one's own."""
    own = _own(request)
    chosen = request.POST.get("power", "")
    if not chosen:
        request.session.pop(ACTING_KEY, None)
        return redirect("inbox:inbox")
    power: PowerOfAttorney | None = active_power_held(own.pk, chosen)
    if power is None:
        request.session.pop(ACTING_KEY, None)
        return refusal_page(request, DigitalPostError(ErrorCode.ATTORNEY_NOT_ACTIVE))
    record_use(power=power, actor=citizen_actor(own))
    request.session[ACTING_KEY] = str(power.pk)
    return redirect("inbox:inbox")
