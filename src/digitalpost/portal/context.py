"""The portal menu (the areas the signed-in user's roles allow) and the doctor's badge, for the base template."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from digitalpost.authorities.selectors import list_authorities_by_cvr
from digitalpost.core.roles import Action
from digitalpost.doctor.selectors import critical_count

# (url name, label, action needed); url names that do not exist yet are skipped.
MENU = [
    ("portal:overview", _("Overview"), Action.VIEW_ORGANISATION),
    ("portal:profile", _("Organisation"), Action.VIEW_SETUP),
    ("portal:users", _("Users"), Action.MANAGE_USERS),
    ("portal:mailboxes", _("Mailboxes"), Action.VIEW_SETUP),
    ("portal:secure_addresses", _("Secure addresses"), Action.VIEW_SETUP),
    ("portal:sender_systems", _("Sender systems"), Action.VIEW_SETUP),
    ("portal:receiver_systems", _("Receiver systems"), Action.VIEW_SETUP),
    ("portal:materials", _("Materials"), Action.VIEW_SETUP),
    ("portal:certificates", _("Certificates"), Action.VIEW_SETUP),
    ("portal:doctor", _("Doctor"), Action.VIEW_DOCTOR),
    ("portal:statistics", _("Reply statistics"), Action.VIEW_STATISTICS),
    ("portal:inquiries", _("Inquiries"), Action.HANDLE_INQUIRIES),
    ("portal:new_letter", _("New letter"), Action.SEND_LETTER),
    ("portal:message_log", _("Message log"), Action.VIEW_MESSAGE_LOG),
    ("portal:audit", _("Audit log"), Action.VIEW_AUDIT),
    ("portal:register", _("Contact register"), Action.MANAGE_REGISTER),
    ("portal:register_companies", _("Company administrators"), Action.MANAGE_REGISTER),
]


def portal_menu(request: HttpRequest) -> dict[str, Any]:
    org = getattr(request, "org", None)
    if org is None:
        return {}
    items = []
    for name, label, action in MENU:
        if not org.may(action):
            continue
        try:
            url = reverse(name, kwargs={"cvr": org.authority.cvr})
        except NoReverseMatch:
            continue
        current = request.path == url or (name != "portal:overview" and request.path.startswith(url))
        items.append({"url": url, "label": label, "current": current})
    return {"portal_menu": items}


def doctor_badge(request: HttpRequest) -> dict[str, Any]:
    """The header's red badge: the organisation's open critical findings, for those who may see the doctor.

    One COUNT query on organisation pages only; nothing (and no query) elsewhere or for other roles.
    """
    org = getattr(request, "org", None)
    if org is None or not org.may(Action.VIEW_DOCTOR):
        return {}
    count = critical_count(org.authority)
    if not count:
        return {}
    return {"doctor_badge": {"count": count, "url": reverse("portal:doctor", kwargs={"cvr": org.authority.cvr})}}


def staff_sign_on(request: HttpRequest) -> dict[str, Any]:
    """The organisations whose staff sign in through their own identity provider (for the sign-in page)."""
    if not request.path.startswith(settings.PORTAL_LOGIN_URL) or not settings.DIGITALPOST_STAFF_SSO:
        return {}
    return {"sso_organisations": list_authorities_by_cvr(list(settings.DIGITALPOST_STAFF_SSO))}
