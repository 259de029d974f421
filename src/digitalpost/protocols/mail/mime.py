"""MIME building blocks shared by the forwarded inquiry, the reply and the bounce.

The split that S/MIME needs: an *entity* (a MIME part: Content-Type, body, and the `X-DigitalPost-Thread`
header) is what gets signed and encrypted; the *envelope* (From, To, Subject, Date, Message-ID,
MIME-Version, References) stays outside. `with_envelope` joins the two at byte level, so a signed entity is
never re-serialised. Output uses `email.policy.SMTP`: CRLF line endings, RFC 2047 subjects, RFC 2231 file
names, quoted-printable text and base64 files (7-bit clean, safe to sign). Not for: crypto (protocols/smime).
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import base64mime, policy, quoprimime
from email.message import Message, MIMEPart
from email.utils import format_datetime
from typing import NamedTuple
from uuid import UUID

from digitalpost.protocols.smime.mime import base64_lines, wrap_base64
from digitalpost.protocols.threads import THREAD_HEADER

# refold_source="none": values we set raw (the thread token) are written exactly as given, not turned into
# RFC 2047 encoded-words just because a 100-character token does not fit in 78 columns.
POLICY = policy.SMTP.clone(refold_source="none")
CRLF = "\r\n"
_MEDIA_TYPE = re.compile(r"([a-z0-9][a-z0-9!#$&^_.+-]*)/([a-z0-9][a-z0-9!#$&^_.+-]*)")
_LINE_LENGTH = POLICY.max_line_length or 78
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# What `_direct_mixed` writes itself; anything else goes through the email package.
_PLAIN_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?: [A-Za-z0-9._-]+)*")
_PLAIN_SEED = re.compile(r"[A-Za-z0-9]{1,40}")
_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{1,200}")
_MAX_PLAIN_FILENAME = 40
_MAX_PLAIN_MEDIA_TYPE = 40


class MailAttachment(NamedTuple):
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class EncodedContent:
    """A file's content as its base64 text, given by a caller that has it already (a forward: the text in the
    stored MeMo), so the mail copies the text instead of decoding and encoding the file again.

    `text` must be exactly `base64.b64encode` of the content (one line, canonical padding): the caller proved that
    when it recorded `size` and `sha256` (the content's), which the metadata file states without hashing again.
    """

    text: bytes
    size: int
    sha256: str  # lower-case hex

    def decoded(self) -> bytes:
        return binascii.a2b_base64(self.text, strict_mode=True)


FileContent = bytes | EncodedContent  # a file's content as bytes, or as its base64 text (EncodedContent)


def content_bytes(content: FileContent) -> bytes:
    """The file's bytes (an EncodedContent decoded)."""
    return content.decoded() if isinstance(content, EncodedContent) else content


@dataclass(frozen=True)
class Envelope:
    """The RFC 5322 headers that stay outside the signed and encrypted entity."""

    from_addr: str
    to_addr: str
    subject: str
    message_id: str  # with angle brackets, e.g. "<uuid@hub.example>"
    date: datetime
    thread_token: str | None = None  # copied outside too, so the hub can route before decrypting
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.date.tzinfo is None:
            raise ValueError("date must be timezone-aware")


def make_message_id(unique: UUID, domain: str) -> str:
    return f"<{unique}@{domain}>"


def _fold(name: str, value: str) -> str:
    if name == "Subject" and not value.isascii():
        # email.policy's folder drops the space at a fold between two encoded words (CPython), which changed
        # subjects such as "ࠀࠀ ¡ [DP:…]"; so every character, spaces too, goes inside the words. Base64 words
        # (RFC 2047 "B"), cut between characters, each word on a line of its own: the classic Header encoder
        # measured every growing prefix of the line in Python, a visible part of a forward's CPU.
        return f"{name}: " + f"{CRLF} ".join(_base64_words(value, first=_LINE_LENGTH - len(name) - 2)) + CRLF
    folded: str = policy.SMTP.fold(name, value)
    return folded


_WORD_FRAME = len("=?utf-8?b??=")
_MAX_WORD = 75  # RFC 2047 §2


def _base64_words(value: str, *, first: int) -> list[str]:
    """`value` as UTF-8 base64 encoded-words (email.base64mime), the first at most `first` characters long and the
    others at most 75 (a line of 76 with the leading space), never splitting a character.

    Each word takes as many bytes as its length allows (3 per 4 base64 characters), cut back to where a character
    starts: the same words as adding one character at a time while the word still fits, without the per-character
    loop (a visible part of a small forward's envelope).
    """
    data = value.encode("utf-8")
    words: list[str] = []
    room = min(first, _MAX_WORD)
    start = 0
    while True:
        end = start + 3 * max(0, (room - _WORD_FRAME) // 4)
        if end >= len(data):
            words.append(base64mime.header_encode(data[start:], charset="utf-8"))
            return words
        while end > start and data[end] & 0xC0 == 0x80:  # a continuation byte: the character starts earlier
            end -= 1
        if end == start:  # not even one character fits: it goes alone
            end += 1
            while end < len(data) and data[end] & 0xC0 == 0x80:
                end += 1
        words.append(base64mime.header_encode(data[start:end], charset="utf-8"))
        if end == len(data):
            return words
        start, room = end, _MAX_WORD


def render_envelope(envelope: Envelope) -> bytes:
    """The envelope's header lines (CRLF, folded and encoded), without the blank line."""
    lines = [
        ("From", envelope.from_addr), ("To", envelope.to_addr), ("Subject", _one_line(envelope.subject)),
        ("Date", format_datetime(envelope.date.astimezone(UTC))), ("Message-ID", envelope.message_id),
    ]
    if envelope.in_reply_to:
        lines.append(("In-Reply-To", envelope.in_reply_to))
    if envelope.references:
        lines.append(("References", " ".join(envelope.references)))
    lines.append(("MIME-Version", "1.0"))
    text = "".join(_fold(name, value) for name, value in lines)
    if envelope.thread_token:
        text += f"{THREAD_HEADER}: {envelope.thread_token}\r\n"
    return text.encode("ascii")


def with_envelope(envelope: Envelope, entity: bytes) -> bytes:
    """A complete RFC 5322 message: the envelope headers, then `entity` byte for byte.

    A header the entity already has (the thread header) is not repeated outside.
    """
    end = entity.find(b"\r\n\r\n")  # not `split`: it would copy the whole body only to drop it
    head = (entity if end == -1 else entity[:end]).lower()
    outside = render_envelope(envelope)
    kept = [
        line for line in re.split(rb"\r\n(?=\S)", outside.rstrip(b"\r\n"))
        if not _has_header(head, line.split(b":", 1)[0].lower())
    ]
    return b"\r\n".join(kept) + b"\r\n" + entity


def _has_header(head: bytes, name: bytes) -> bool:
    return head.startswith(name + b":") or (b"\r\n" + name + b":") in head


def new_text_entity(text: str) -> MIMEPart:
    part = MIMEPart(policy=POLICY)
    part.set_content(_text(text), subtype="plain", charset="utf-8", cte="quoted-printable")
    return part


def add_file(entity: MIMEPart, attachment: tuple[str, str, FileContent]) -> None:
    filename, media_type, content = attachment
    maintype, subtype = _file_type(media_type)
    entity.add_attachment(content_bytes(content), maintype=maintype, subtype=subtype, cte="base64",
                          filename=clean_filename(filename))


def _file_type(media_type: str) -> tuple[str, str]:
    match = _MEDIA_TYPE.fullmatch(media_type.strip().lower())
    maintype, subtype = match.groups() if match else ("application", "octet-stream")
    if maintype in ("multipart", "message"):  # never let a file pose as structure
        maintype, subtype = "application", "octet-stream"
    return maintype, subtype


def mixed_entity(
    *, text: str, files: Sequence[tuple[str, str, FileContent]], thread_token: str, boundary_seed: str,
) -> bytes:
    """`new_text_entity(text)`, `add_file` for each of `files`, `set_thread_header` and `finish`, in one.

    The same bytes, written directly when every file is plain (a short ASCII name that needs no quoting,
    encoding or folding, and some content): building the parts through the `email` package (header objects,
    content managers, the generator) cost several times the signing and encrypting of the result. Anything
    else goes through the `email` package as before.
    """
    direct = _direct_mixed(text, files, thread_token, boundary_seed)
    if direct is not None:
        return direct
    entity = new_text_entity(text)
    for file in files:
        add_file(entity, file)
    set_thread_header(entity, thread_token)
    return finish(entity, boundary_seed=boundary_seed)


def _direct_mixed(
    text: str, files: Sequence[tuple[str, str, FileContent]], thread_token: str, boundary_seed: str,
) -> bytes | None:
    if not files or not _PLAIN_SEED.fullmatch(boundary_seed) or not _PLAIN_TOKEN.fullmatch(thread_token):
        return None
    parts = []
    for filename, media_type, content in files:
        name = clean_filename(filename)
        maintype, subtype = _file_type(media_type)
        # Given as base64 text already (a forward copies it from the MeMo): cut into lines, not encoded again.
        lines_of_base64 = wrap_base64(content.text) if isinstance(content, EncodedContent) else base64_lines(content)
        if (not lines_of_base64 or not _PLAIN_FILENAME.fullmatch(name) or len(name) > _MAX_PLAIN_FILENAME
                or len(maintype) + len(subtype) > _MAX_PLAIN_MEDIA_TYPE):
            return None
        parts.append(
            f"Content-Type: {maintype}/{subtype}\r\nContent-Transfer-Encoding: base64\r\n"
            f'Content-Disposition: attachment; filename="{name}"\r\n\r\n'.encode("ascii")
            + lines_of_base64)
    # As email.contentmanager writes a text part: UTF-8, every line end LF, then quoted-printable.
    lines = _text(text).encode("utf-8").splitlines()
    encoded = quoprimime.body_encode(b"\n".join(lines).decode("latin-1") + "\n", _LINE_LENGTH)
    body = encoded.encode("ascii").replace(b"\n", b"\r\n")
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    text_part = (b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
                 + body)
    delimiter = f"--=_dp_{boundary_seed}".encode("ascii")
    content_type = f'Content-Type: multipart/mixed; boundary="=_dp_{boundary_seed}"'
    if len(content_type) > _LINE_LENGTH:  # folded at the parameter, as the email package folds it
        content_type = content_type.replace("; ", ";\r\n ", 1)
    head = f"{content_type}\r\n{THREAD_HEADER}: {thread_token}\r\n\r\n".encode("ascii")
    return head + b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in [text_part, *parts]) + delimiter + b"--\r\n"


def set_thread_header(entity: MIMEPart, token: str) -> None:
    entity.set_raw(THREAD_HEADER, token)


def finish(entity: MIMEPart, *, boundary_seed: str) -> bytes:
    """The entity's bytes, with a boundary derived from `boundary_seed` so the same input gives the same bytes.

    "=_" can never start a line of base64 or quoted-printable, so the boundary cannot collide with content.
    """
    if entity.is_multipart():
        entity.set_boundary(f"=_dp_{boundary_seed}")
    return entity.as_bytes(policy=POLICY)


def clean_filename(filename: str) -> str:
    name = _CONTROL.sub(" ", filename).replace("/", "_").replace("\\", "_").strip()
    return name or "bilag"


def _text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def subparts(part: Message) -> list[Message]:
    """The parts of a multipart (or the blocks of a message/delivery-status); [] for anything else."""
    payload = part.get_payload()
    return [sub for sub in payload if isinstance(sub, Message)] if isinstance(payload, list) else []
