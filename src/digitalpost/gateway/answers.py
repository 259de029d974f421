"""The SMTP answers the gateway gives at DATA time, rendered from the one error catalogue.

A filed reply gets 250 with its message id; a refusal gets 554 with the enhanced status code from the
catalogue, the code and the English fix, then the Danish text on a second line (RFC 5321 multi-line
reply), all 7-bit so every mail server passes it into its bounce unchanged. Not for: deciding refusals.
"""

from __future__ import annotations

from digitalpost.conversations.services.receive import ReceiveOutcome
from digitalpost.core.errors import CATALOGUE, DANISH, ErrorCode

# RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets with its code and CRLF.
MAX_TEXT = 480
_SPELLED_OUT = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa", "…": "..."})


def smtp_answer(outcome: ReceiveOutcome) -> str:
    if outcome.code is None and outcome.letter:
        message = outcome.message
        return f"250 2.0.0 Accepted as letter {message.pk if message else '?'} ({message.channel if message else '?'})"
    if outcome.code is None:
        return f"250 2.0.0 Filed in thread as message {outcome.message.pk if outcome.message else '?'}"
    spec = CATALOGUE[outcome.code]
    english = _smtp_line(f"{outcome.code}: {spec.text}")
    danish = DANISH.get(outcome.code)
    if danish is None:
        return f"554 {spec.smtp} {english}"
    return f"554-{spec.smtp} {english}\r\n554 {spec.smtp} Dansk: {_smtp_line(danish)}"


def smtp_refusal(code: ErrorCode, *, status: int) -> str:
    """A refusal outside DATA (421 closing the session, 552 at MAIL), in both languages where we have Danish."""
    spec = CATALOGUE[code]
    english = _smtp_line(f"{code}: {spec.text}")
    danish = DANISH.get(code)
    if danish is None:
        return f"{status} {spec.smtp} {english}"
    return f"{status}-{spec.smtp} {english}\r\n{status} {spec.smtp} Dansk: {_smtp_line(danish)}"


def _smtp_line(text: str) -> str:
    spelled = text.translate(_SPELLED_OUT).replace("\r", " ").replace("\n", " ")
    return spelled.encode("ascii", "replace").decode()[:MAX_TEXT]
