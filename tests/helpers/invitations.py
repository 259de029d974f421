"""Reading an invitation mail the way its invitee does: the link, and the code in its fragment."""

from __future__ import annotations

import re
from email.message import EmailMessage

LINK = re.compile(r"(https?://\S+/portal/invitation/)#(dpi_[A-Za-z0-9_-]+)")


def invitation_link(mail: EmailMessage) -> tuple[str, str]:
    """(the page's URL, the token) of the link in the mail (once in Danish, once in English)."""
    found = set(LINK.findall(mail.get_content()))
    assert len(found) == 1, found
    return found.pop()


def invitation_mails(relay) -> list[tuple[list[str], EmailMessage]]:
    return relay.notices("invitation")
