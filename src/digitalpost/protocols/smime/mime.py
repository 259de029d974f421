"""The few byte-exact MIME operations S/MIME needs: split header and body, split multipart bodies, wrap.

Signatures cover exact bytes, so this works on raw bytes and never re-serialises a part through Python's
`email` package (which may refold headers or change line endings). `email` is used only to read header
values (Content-Type parameters). Not for: general MIME parsing or building mail with attachments.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from functools import cached_property

from digitalpost.core.errors import DigitalPostError, ErrorCode

CRLF = b"\r\n"
_LINE_END = re.compile(rb"\r\n|\r|\n")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_FIELD_START = re.compile(rb"[!-9;-~]+:")
_WHITESPACE = b" \t\n\r\x0b\x0c"  # what rb"\s" matches


def canonicalize(data: bytes) -> bytes:
    """Every line ending (CRLF, bare LF, bare CR) as CRLF, as RFC 5751 §3.1.1 requires before signing."""
    crlf = data.count(CRLF)
    if data.count(b"\n") == crlf and data.count(b"\r") == crlf:
        return data  # canonical already (what we build always is): counting is far cheaper than the rewrite
    return _LINE_END.sub(CRLF, data)


@dataclass(frozen=True)
class Entity:
    """A MIME entity split into its header fields (each with its folded continuation lines) and body."""

    fields: tuple[bytes, ...]  # raw fields without their final line ending
    body: bytes

    @cached_property
    def headers(self) -> Message:
        """The fields parsed by the `email` package, for reading values only. Parsed on first use: signing and
        encrypting only move fields around, and parsing them cost more than the split itself."""
        # Latin-1 maps every byte to one character, so header values are always str (never Header objects) and
        # a boundary encodes back to exactly the bytes received.
        return HeaderParser(policy=compat32).parsestr((CRLF.join(self.fields) + CRLF + CRLF).decode("latin-1"))

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type()

    def param(self, name: str) -> str | None:
        value = self.headers.get_param(name)
        return value if isinstance(value, str) else None


def parse_entity(data: bytes) -> Entity:
    """Split at the first blank line. Entities without header fields start with a blank line."""
    if data.startswith((b"\r\n", b"\n")):
        head, body = b"", data[2 if data.startswith(b"\r\n") else 1:]
    else:
        blank = _BLANK_LINE.search(data)
        if blank is None:
            raise DigitalPostError(ErrorCode.MAIL_MALFORMED, "no blank line between header and body")
        head, body = data[: blank.start()], data[blank.end():]
    fields: list[bytes] = []
    for line in _LINE_END.split(head) if head else []:
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += CRLF + line
        elif _FIELD_START.match(line):
            fields.append(line)
        else:
            raise DigitalPostError(ErrorCode.MAIL_MALFORMED, f"not a header field: {line[:60]!r}")
    return Entity(tuple(fields), body)


def field_name(field: bytes) -> str:
    return field.split(b":", 1)[0].decode("ascii").strip().lower()


def is_content_field(field: bytes) -> bool:
    """Fields that describe the MIME content (and move inside a signature or encryption)."""
    return field_name(field).startswith("content-")


def outer_fields(entity: Entity) -> list[bytes]:
    """The message's own fields (From, To, Subject, ...): everything but Content-* and MIME-Version."""
    return [f for f in entity.fields if not is_content_field(f) and field_name(f) != "mime-version"]


def multipart_parts(body: bytes, boundary: str) -> list[bytes]:
    """The parts of a multipart body exactly as received. The line break before a delimiter belongs to
    the delimiter (RFC 2046 §5.1.1), so it is not part of the preceding part."""
    marker = re.escape(boundary.encode("latin-1", "replace"))
    delimiter = re.compile(rb"(?:\A|\r?\n)--" + marker + rb"(--)?[ \t]*(?:\r?\n|\Z)")
    parts: list[bytes] = []
    start: int | None = None
    for match in delimiter.finditer(body):
        if start is not None:
            parts.append(body[start: match.start()])
        if match.group(1):
            return parts
        start = match.end()
    raise DigitalPostError(ErrorCode.MAIL_MALFORMED, f"multipart body has no closing boundary {boundary!r}")


def new_boundary(*contents: bytes) -> str:
    while True:
        boundary = "----=_smime_" + secrets.token_hex(12)
        if not any(boundary.encode() in c for c in contents):
            return boundary


_BASE64_LINE = 76


def base64_lines(data: bytes) -> bytes:
    """Base64 in lines of 76 characters, each ended by CRLF (RFC 2045 §6.8): `base64.encodebytes` with CRLF.

    Encoded in one call and then cut: `encodebytes` calls the encoder once per 57 bytes from Python, which made
    base64 the largest cost of signing and encrypting a 150 KB mail.
    """
    return wrap_base64(binascii.b2a_base64(data, newline=False))


def wrap_base64(text: bytes) -> bytes:
    """Base64 text without line breaks as lines of 76 characters, each ended by CRLF (b"" stays b"")."""
    if not text:
        return b""
    return CRLF.join([text[i:i + _BASE64_LINE] for i in range(0, len(text), _BASE64_LINE)]) + CRLF


def decode_body(entity: Entity, *, code: ErrorCode = ErrorCode.MAIL_MALFORMED) -> bytes:
    """The body with its Content-Transfer-Encoding (base64 or identity) undone; refuses with `code`."""
    encoding = (entity.headers.get("Content-Transfer-Encoding") or "7bit").strip().lower()
    if encoding in ("7bit", "8bit", "binary"):
        return entity.body
    if encoding != "base64":
        raise DigitalPostError(code, f"unexpected Content-Transfer-Encoding {encoding}")
    try:
        return base64.b64decode(entity.body.translate(None, _WHITESPACE), validate=True)
    except (binascii.Error, ValueError):
        raise DigitalPostError(code, "the base64 body cannot be decoded") from None
