"""Who may write to whom: the default policy of the brief (§3) as data, checked in one place.

Services ask `check_may_write`; nothing else decides it. Changing the policy means changing the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.parties import PartyKind


@dataclass(frozen=True)
class Rule:
    allowed: bool
    name: str
    # Allowed, but marked on the message and counted (an authority writing to another as a company).
    marked: bool = False


POLICY: dict[tuple[PartyKind, PartyKind], Rule] = {
    (PartyKind.AUTHORITY, PartyKind.CITIZEN): Rule(True, "authority-to-citizen"),
    (PartyKind.AUTHORITY, PartyKind.COMPANY): Rule(True, "authority-to-company"),
    (PartyKind.AUTHORITY, PartyKind.AUTHORITY): Rule(True, "authority-to-authority-as-company", marked=True),
    (PartyKind.CITIZEN, PartyKind.AUTHORITY): Rule(True, "citizen-to-authority-mailbox"),
    (PartyKind.COMPANY, PartyKind.AUTHORITY): Rule(True, "company-to-authority-mailbox"),
    (PartyKind.CITIZEN, PartyKind.CITIZEN): Rule(False, "citizen-to-citizen"),
    (PartyKind.CITIZEN, PartyKind.COMPANY): Rule(False, "citizen-to-company"),
    (PartyKind.COMPANY, PartyKind.CITIZEN): Rule(False, "company-to-citizen"),
    (PartyKind.COMPANY, PartyKind.COMPANY): Rule(False, "company-to-company"),
}


def check_may_write(sender: PartyKind, recipient: PartyKind) -> Rule:
    """The rule that lets `sender` write to `recipient`; refuses with the rule's name otherwise."""
    rule = POLICY[(sender, recipient)]
    if not rule.allowed:
        raise DigitalPostError(ErrorCode.POLICY_NOT_ALLOWED, f"rule {rule.name}")
    return rule
