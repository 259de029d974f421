"""Who may do what in an organisation: the roles, the actions routes require, and the table between them.

Pure data so the access rules can be read (and tested) in one place; the Django side looks a user's roles
up in `accounts` and asks `may(role, action)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])


class Role(StrEnum):
    OPERATOR = "operator"  # runs the platform: creates organisations, sees every audit log
    SUPERADMIN = "superadministrator"
    ADMIN = "administrator"
    CASEWORKER = "caseworker"  # reads and answers the named mailboxes only
    CITIZEN_SERVICE = "citizen-service"  # the contact register, exemptions and powers of attorney


ORGANISATION_ROLES = (Role.SUPERADMIN, Role.ADMIN, Role.CASEWORKER, Role.CITIZEN_SERVICE)


class Action(StrEnum):
    VIEW_ORGANISATION = "view-organisation"  # the overview page: every member
    VIEW_SETUP = "view-setup"
    EDIT_SETUP = "edit-setup"  # profile, mailboxes, addresses, systems, materials, certificates
    MANAGE_USERS = "manage-users"
    VIEW_AUDIT = "view-audit"
    HANDLE_INQUIRIES = "handle-inquiries"  # read and answer inquiries to one's own mailboxes
    SEND_LETTER = "send-letter"  # start a letter to a citizen or company in the portal
    VIEW_MESSAGE_LOG = "view-message-log"  # metadata and timelines, no content
    RECALL_MESSAGE = "recall-message"
    MANAGE_REGISTER = "manage-register"
    # Register and end powers of attorney for citizens who cannot do it themselves in the mailbox.
    MANAGE_POWERS_OF_ATTORNEY = "manage-powers-of-attorney"
    VIEW_DOCTOR = "view-doctor"  # the doctor's findings, probes and alert log of the organisation
    VIEW_STATISTICS = "view-statistics"  # reply statistics of the organisation
    OPERATE_PLATFORM = "operate-platform"


_SETUP = {Action.VIEW_ORGANISATION, Action.VIEW_SETUP, Action.EDIT_SETUP, Action.VIEW_MESSAGE_LOG,
          Action.RECALL_MESSAGE, Action.VIEW_DOCTOR, Action.VIEW_STATISTICS}

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.OPERATOR: frozenset({Action.OPERATE_PLATFORM, Action.VIEW_ORGANISATION, Action.VIEW_SETUP,
                              Action.VIEW_AUDIT, Action.VIEW_DOCTOR, Action.VIEW_STATISTICS}),
    Role.SUPERADMIN: frozenset(_SETUP | {Action.MANAGE_USERS, Action.VIEW_AUDIT}),
    Role.ADMIN: frozenset(_SETUP),
    Role.CASEWORKER: frozenset({Action.VIEW_ORGANISATION, Action.HANDLE_INQUIRIES, Action.SEND_LETTER,
                                Action.VIEW_MESSAGE_LOG}),
    Role.CITIZEN_SERVICE: frozenset({Action.VIEW_ORGANISATION, Action.MANAGE_REGISTER,
                                     Action.MANAGE_POWERS_OF_ATTORNEY}),
}


def may(roles: Iterable[Role], action: Action) -> bool:
    return any(action in ROLE_ACTIONS[role] for role in roles)


def roles_allowed(action: Action) -> list[Role]:
    """The roles that may do `action`, for error texts ("ask a superadministrator")."""
    return [role for role in Role if action in ROLE_ACTIONS[role]]


@dataclass(frozen=True)
class Actor:
    """Who made a change, as the audit log records it: a signed-in user, or a named system process."""

    label: str  # user name, or e.g. "cli", "demo"
    user_id: int | None = None


SYSTEM_ACTOR = Actor("system")


# Every route (page or API operation) declares who may reach it; the access-matrix test refuses routes
# without a declaration. An Action means: a member of the organisation in the URL whose role allows it.
ACCESS_RULE_ATTRIBUTE = "access_rule"
PUBLIC = "public"  # anyone: sign-in pages, language switch, health, API docs
CITIZEN = "citizen"  # a signed-in citizen or company, only their own mailbox
SENDER_SYSTEM = "sender-system"  # an authority's sender system (API token, optionally mTLS)
RECEIVER_SYSTEM = "receiver-system"  # an authority's REST pull receiver system
SIGNED_IN = "signed-in"  # any signed-in portal user, about themselves only (organisation chooser, tokens)


def access_rule(rule: str | Action) -> Callable[[F], F]:
    def mark(view: F) -> F:
        setattr(view, ACCESS_RULE_ATTRIBUTE, rule)
        return view

    return mark
