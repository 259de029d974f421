"""Where a dialog-thread token travels: the `dkaldialogtraad.xml` attachment, a header and a subject tag.

A reply from an authority's own mail program often loses something (a caseworker deletes the attachment,
a client drops unknown headers, someone edits the subject), so every forwarded inquiry carries the same token
three ways and a reply needs only one. `find_token` picks the token to route by (attachment, then header,
then subject) and reports every token found; `resolve_thread` verifies them. The readable fields in the
attachment are for people only: routing always uses the MACed token. Not for: MIME (see protocols/mail).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from enum import StrEnum

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.threads.token import (
    TOKEN_SHAPE,
    Keyring,
    ThreadRef,
    ThreadTokenError,
    verify,
)
from digitalpost.protocols.threads.xmlsafe import UnsafeXml, parse_hardened

THREAD_FILENAME = "dkaldialogtraad.xml"
THREAD_FILE_MEDIA_TYPE = "application/xml"
THREAD_FILE_NAMESPACE = "urn:digitalpost:dialogtraad:1"
THREAD_HEADER = "X-DigitalPost-Thread"
MAX_THREAD_FILE_BYTES = 16 * 1024
# "[DP:<token>]" anywhere in a subject; mail programs fold long subjects and some insert spaces, so
# whitespace is allowed inside the tag and removed again (tokens never contain whitespace).
_TAG = re.compile(r"\[\s*DP\s*:\s*([A-Za-z0-9_.\-\s]{1,400}?)\s*\]", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_NOTICE = (
    " DKAL-dialogtråd fra Digital Post. Må under ingen omstændigheder slettes eller ændres: behold filen "
    "uændret i dit svar, ellers kan svaret ikke nå frem til borgeren. / Digital Post dialog thread. Never "
    "delete or edit this file: keep it attached, unchanged, in your reply, or the reply cannot reach the "
    "citizen. "
)


def _q(name: str) -> str:
    return f"{{{THREAD_FILE_NAMESPACE}}}{name}"


class Carrier(StrEnum):
    """The three places a token travels, in the order they are trusted."""

    ATTACHMENT = "attachment"
    HEADER = "header"
    SUBJECT = "subject"


@dataclass(frozen=True)
class ThreadCarriers:
    """The raw tokens a reply carried; `unreadable` names carriers present but not readable as a token."""

    attachment: str | None = None
    header: str | None = None
    subject: str | None = None
    unreadable: frozenset[Carrier] = field(default_factory=frozenset)


@dataclass(frozen=True)
class FoundTokens:
    """The token to route by and every token found (carrier, token), in the order carriers are trusted."""

    token: str | None
    source: Carrier | None
    found: tuple[tuple[Carrier, str], ...]

    @property
    def disagree(self) -> bool:
        return len({token for _, token in self.found}) > 1


@dataclass(frozen=True)
class ResolvedThread:
    """The verified thread a reply belongs to, plus what the other carriers said.

    `conflicts` are valid tokens (for this authority) that name another thread; `rejected` are carriers whose
    token failed verification, with the code. Both are empty for a clean reply; the caller decides whether
    to file the reply anyway (the trusted carrier wins) or to bounce it.
    """

    ref: ThreadRef
    token: str
    source: Carrier
    conflicts: tuple[tuple[Carrier, ThreadRef], ...] = ()
    rejected: tuple[tuple[Carrier, ErrorCode], ...] = ()


def render_thread_file(ref: ThreadRef, token: str) -> bytes:
    """The `dkaldialogtraad.xml` attachment: the token plus the thread in readable form (UTF-8)."""
    if not TOKEN_SHAPE.fullmatch(token):
        raise ValueError("not a thread token")
    # Written as text, byte for byte what lxml's indented tree wrote (a test holds the two equal): every value is
    # a token of TOKEN_SHAPE, a UUID, eight digits or a reply rule, so nothing needs escaping, and the tree cost a
    # small forward more than the file is worth.
    body = "".join(f"  <{name}>{value}</{name}>\n" for name, value in (
        ("Token", token), ("ThreadId", str(ref.thread_id)), ("AuthorityCVR", ref.authority_cvr),
        ("MailboxId", str(ref.mailbox_id)), ("ReplyRule", str(ref.reply_rule)),
    ))
    text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<!--{_NOTICE}-->\n'
            f'<DialogThread xmlns="{THREAD_FILE_NAMESPACE}" version="1">\n{body}</DialogThread>\n')
    return text.encode("utf-8")


def read_thread_file(data: bytes) -> str:
    """The token in a `dkaldialogtraad.xml` attachment (not yet verified), or thread.invalid."""
    try:
        root = parse_hardened(data, max_bytes=MAX_THREAD_FILE_BYTES)
    except UnsafeXml as error:
        raise ThreadTokenError(ErrorCode.THREAD_INVALID, f"{THREAD_FILENAME}: {error}") from None
    if root.tag != _q("DialogThread"):
        raise ThreadTokenError(
            ErrorCode.THREAD_INVALID, f"{THREAD_FILENAME}: the root element is not DialogThread in "
                                      f"namespace {THREAD_FILE_NAMESPACE}",
        )
    tokens = root.findall(_q("Token"))
    token = (tokens[0].text or "").strip() if len(tokens) == 1 else ""
    if not TOKEN_SHAPE.fullmatch(token):
        raise ThreadTokenError(ErrorCode.THREAD_INVALID, f"{THREAD_FILENAME}: no readable Token element")
    return token


def read_header(value: str | None) -> str | None:
    """The token in an `X-DigitalPost-Thread` header value (folding removed), or None when empty."""
    if value is None:
        return None
    token = _WHITESPACE.sub("", _unfold(str(value)))
    return token or None


def tag_subject(subject: str, token: str) -> str:
    """`subject` with exactly one `[DP:<token>]` tag, at the end."""
    if not TOKEN_SHAPE.fullmatch(token):
        raise ValueError("not a thread token")
    bare = untag_subject(subject)
    return f"{bare} [DP:{token}]" if bare else f"[DP:{token}]"


def untag_subject(subject: str) -> str:
    """`subject` without any `[DP:…]` tag, whitespace tidied (for display)."""
    return _WHITESPACE.sub(" ", _TAG.sub(" ", _unfold(subject))).strip()


def find_in_subject(subject: str | None) -> str | None:
    """The first `[DP:<token>]` tag's token, wherever it sits, despite prefixes, folding and RFC 2047."""
    tokens = find_all_in_subject(subject)
    return tokens[0] if tokens else None


def find_all_in_subject(subject: str | None) -> list[str]:
    if not subject:
        return []
    return [_WHITESPACE.sub("", match.group(1)) for match in _TAG.finditer(_unfold(subject))]


def _unfold(subject: str) -> str:
    subject = str(subject)
    if "=?" in subject:  # a raw header value: decode the encoded-words first
        with contextlib.suppress(ValueError, LookupError, UnicodeError):
            subject = str(make_header(decode_header(subject)))
    return subject.replace("\r", "").replace("\n", "")


def find_token(carriers: ThreadCarriers) -> FoundTokens:
    """The token to route by — attachment, else header, else subject — and every token found."""
    found = tuple(
        (carrier, token)
        for carrier, token in (
            (Carrier.ATTACHMENT, carriers.attachment),
            (Carrier.HEADER, carriers.header),
            (Carrier.SUBJECT, carriers.subject),
        )
        if token
    )
    if not found:
        return FoundTokens(token=None, source=None, found=())
    return FoundTokens(token=found[0][1], source=found[0][0], found=found)


def resolve_thread(
    carriers: ThreadCarriers, *, keyring: Keyring, expected_authority_cvr: str | None
) -> ResolvedThread:
    """The thread of the most trusted carrier whose token verifies.

    Raises thread.missing when no carrier holds anything, else the error of the most trusted carrier
    when none verifies. A damaged carrier does not stop a good one from routing (every accepted token is
    MACed and checked against the authority); the caller sees it in `rejected`.
    """
    found = find_token(carriers)
    if not found.found and not carriers.unreadable:
        raise ThreadTokenError(ErrorCode.THREAD_MISSING, "no dkaldialogtraad.xml, header or [DP:…] tag")
    verified: list[tuple[Carrier, str, ThreadRef]] = []
    failures: list[tuple[Carrier, DigitalPostError]] = [
        (carrier, ThreadTokenError(ErrorCode.THREAD_INVALID, f"the {carrier} carrier could not be read"))
        for carrier in Carrier
        if carrier in carriers.unreadable
    ]
    for carrier, token in found.found:
        try:
            verified.append((carrier, token, verify(token, keyring=keyring,
                                                    expected_authority_cvr=expected_authority_cvr)))
        except ThreadTokenError as error:
            failures.append((carrier, error))
    order = list(Carrier)
    failures.sort(key=lambda failure: order.index(failure[0]))
    if not verified:
        raise failures[0][1]
    source, token, ref = verified[0]
    return ResolvedThread(
        ref=ref, token=token, source=source,
        conflicts=tuple((carrier, other) for carrier, _, other in verified[1:] if other.thread_id != ref.thread_id),
        rejected=tuple((carrier, error.code) for carrier, error in failures),
    )
