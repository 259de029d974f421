"""KombiPost: whether a message goes to the digital mailbox or on paper, decided per message.

The sender asks for `automatic` (digital where the recipient receives Digital Post, paper where exempt),
`digital` (refused for an exempt recipient) or `print` (paper, even for a registered recipient). A closed
recipient gets nothing either way. Not for: rendering or sending letters.
"""

from __future__ import annotations

from enum import StrEnum

from digitalpost.core.errors import DigitalPostError, ErrorCode


class Kombi(StrEnum):
    AUTOMATIC = "automatic"
    DIGITAL = "digital"
    PRINT = "print"


class Channel(StrEnum):
    DIGITAL = "DIGITAL"
    PRINT = "PRINT"


def choose_channel(kombi: Kombi, status: str, *, has_postal_address: bool, who: str) -> Channel:
    """The channel for a recipient with register `status` (REGISTERED / EXEMPT / CLOSED), or a refusal."""
    if status == "CLOSED":
        raise DigitalPostError(ErrorCode.RECIPIENT_IS_CLOSED, who)
    wants_paper = kombi is Kombi.PRINT or (kombi is Kombi.AUTOMATIC and status == "EXEMPT")
    if not wants_paper:
        if status == "EXEMPT":
            raise DigitalPostError(ErrorCode.RECIPIENT_IS_EXEMPT, f"{who} (kombi=digital)")
        return Channel.DIGITAL
    if not has_postal_address:
        raise DigitalPostError(ErrorCode.RECIPIENT_ADDRESS_MISSING, who)
    return Channel.PRINT
