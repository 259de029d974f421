"""Lexical rules of MeMo's simple types: text in XML <-> Python value, with the XSD facets enforced.

`read` turns element text into a value or raises `BadValue` with a sentence saying what is wrong;
`write` is its inverse; `check` tells whether a Python value can be written and read back unchanged.
Not for: element structure (see parse.py / build.py) or service rules.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from digitalpost.protocols.memo.spec import Kind, MemoVersion, MessageType, SimpleType

UUID_V4 = re.compile(r"[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-4[a-fA-F0-9]{3}-[aAbB89][a-fA-F0-9]{3}-[a-fA-F0-9]{12}")
_DATETIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z")
_DATETIME_ANY_ZONE = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d)?")
_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))?")
_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*")
_LONG = re.compile(r"[+-]?\d+")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_XML_WS = re.compile(r"[ \t\r\n]+")
_XML_WS_BYTES = b" \t\r\n"
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# xs:anyURI as libxml2 checks it: characters it would escape count as safe, the rest must be an RFC 3986
# URI-reference (as in libxml2: a bracketed host may hold anything, a port needs digits, a fragment may
# hold brackets).
_URI_UNSAFE = re.compile(r"[\x00-\x20\x7f-\U0010ffff<>\"{}|\\^`']")
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
_SEGMENT_NC = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=@]|%[0-9A-Fa-f]{2})"
_AUTHORITY = (
    r"(?:(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*@)?"
    r"(?:\[[^\]]*\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::\d+)?"
)
_TAIL = rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?\[\]])*)?"
_URI_REFERENCE = re.compile(
    rf"(?:[A-Za-z][A-Za-z0-9+\-.]*:(?://{_AUTHORITY}(?:/{_PCHAR}*)*|/?(?:{_PCHAR}+(?:/{_PCHAR}*)*)?){_TAIL})"
    rf"|(?:(?://{_AUTHORITY}(?:/{_PCHAR}*)*|/(?:{_PCHAR}+(?:/{_PCHAR}*)*)?|(?:{_SEGMENT_NC}+(?:/{_PCHAR}*)*)?){_TAIL})"
)
# Characters XML 1.0 cannot carry at all.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LONG_MIN = -(2**63)
_LONG_MAX = 2**63 - 1

Value = str | bool | int | bytes | date | datetime | MessageType


class BadValue(ValueError):
    """The text is not a valid value of the simple type; the message says why, in plain English."""


def collapse(text: str) -> str:
    """XSD whiteSpace="collapse": trim, and turn every run of whitespace into one space."""
    return _XML_WS.sub(" ", text).strip(" ")


def without_whitespace(text: str) -> str:
    """`text` without XML whitespace (space, tab, CR, LF): a base64 text without its line breaks.

    An ASCII text (any base64 that can be valid) loses them in one pass of `bytes.translate`: the regular
    expression builds a match per line break, and for a document's base64 (a ~10 KB MeMo's has ~90 lines) that
    cost five times the decoding. Other text goes through the expression; base64 refuses it anyway.
    """
    if text.isascii():
        return text.encode("ascii").translate(None, _XML_WS_BYTES).decode("ascii")
    return _XML_WS.sub("", text)


def read(text: str, stype: SimpleType, version: MemoVersion) -> Value:  # noqa: C901 - one branch per kind
    kind = stype.kind
    if kind is Kind.STRING:
        return _read_string(text, stype, version)
    if kind is Kind.MESSAGE_TYPE:
        if text not in MessageType.__members__:
            raise BadValue(f"must be DIGITALPOST or NEMSMS, not {_show(text)}")
        return MessageType(text)
    if kind is Kind.UUID:
        if not UUID_V4.fullmatch(text):
            example = "8c2ea15d-61fb-4ba9-9366-42f8b194c114"
            raise BadValue(f"must be a version 4 UUID like {example}, not {_show(text)}")
        return text
    if kind is Kind.DATETIME:
        return _read_datetime(collapse(text))
    if kind is Kind.DATE:
        return _read_date(collapse(text))
    if kind is Kind.BOOLEAN:
        value = collapse(text)
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        raise BadValue(f"must be true or false, not {_show(text)}")
    if kind is Kind.URI:
        value = _read_string(collapse(text), stype, version)
        if not _URI_REFERENCE.fullmatch(_URI_UNSAFE.sub("_", value)):
            raise BadValue(f"is not a valid URI: {_show(text)}")
        return value
    if kind is Kind.LANGUAGE:
        value = collapse(text)
        if not _LANGUAGE.fullmatch(value) or len(value) > 2:
            raise BadValue(f"must be a two-letter language code such as da or en, not {_show(text)}")
        return value
    if kind is Kind.LONG:
        return _read_long(collapse(text), stype)
    return _read_base64(text)


def write(value: Value, stype: SimpleType) -> str:
    kind = stype.kind
    if kind is Kind.DATETIME:
        assert isinstance(value, datetime)
        return _write_datetime(value)
    if kind is Kind.DATE:
        assert isinstance(value, date)
        return value.isoformat()
    if kind is Kind.BOOLEAN:
        return "true" if value else "false"
    if kind is Kind.LONG:
        return str(value)
    if kind is Kind.BASE64:
        assert isinstance(value, bytes)
        return base64.b64encode(value).decode("ascii")
    return str(value)


_PYTHON_TYPES: dict[Kind, tuple[type, ...]] = {
    Kind.STRING: (str,), Kind.MESSAGE_TYPE: (MessageType,), Kind.UUID: (str,), Kind.DATETIME: (datetime,),
    Kind.DATE: (date,), Kind.BOOLEAN: (bool,), Kind.URI: (str,), Kind.LANGUAGE: (str,), Kind.LONG: (int,),
    Kind.BASE64: (bytes,),
}


def check(value: object, stype: SimpleType, version: MemoVersion) -> str | None:
    """Why `value` cannot be written as `stype` (None if it can, and reads back equal)."""
    kind = stype.kind
    wanted = _PYTHON_TYPES[kind]
    if not isinstance(value, wanted) or (kind is Kind.LONG and isinstance(value, bool)):
        return f"must be a {wanted[0].__name__} ({kind.value}), not {type(value).__name__}"
    if kind is Kind.DATE and isinstance(value, datetime):
        return "must be a date, not a datetime"
    if isinstance(value, datetime) and value.utcoffset() != timedelta(0):
        return "must be a timezone-aware datetime in UTC"
    if isinstance(value, str) and _NOT_XML_CHAR.search(value):
        return "contains a character XML cannot carry (a control character)"
    try:
        text = write(value, stype)  # type: ignore[arg-type]
        back = read(text, stype, version)
    except BadValue as bad:
        return str(bad)
    if back != value:
        return f"would not read back unchanged (written as {_show(text)})"
    return None


def _read_string(text: str, stype: SimpleType, version: MemoVersion) -> str:
    limit = stype.length_limit(version)
    if limit is not None and len(text) > limit:
        raise BadValue(f"is {len(text)} characters long; at most {limit} are allowed in MeMo {version}")
    return text


def read_decimal(text: str) -> Decimal:
    """An xs:decimal (no exponent, unlike Python's Decimal)."""
    value = collapse(text)
    if not _DECIMAL.fullmatch(value):
        raise BadValue(f"must be a decimal number, not {_show(text)}")
    return Decimal(value)


def _read_datetime(text: str) -> datetime:
    match = _DATETIME.fullmatch(text)
    if not match:
        if _DATETIME_ANY_ZONE.fullmatch(text):
            raise BadValue(f"must be in UTC, ending in Z (like 2024-05-03T12:00:00Z), not {_show(text)}")
        raise BadValue(f"must be a date-time like 2024-05-03T12:00:00Z, not {_show(text)}")
    year, month, day, hour, minute, second, fraction = match.groups()
    fraction = fraction or "0"
    micro = int(fraction[:6].ljust(6, "0"))
    try:
        day_start = datetime(int(year), int(month), int(day), tzinfo=UTC)
        if hour == "24" and minute == "00" and second == "00" and not fraction.strip("0"):
            return day_start + timedelta(days=1)  # XSD's 24:00:00 is the next day's midnight
        return day_start.replace(hour=int(hour), minute=int(minute), second=int(second), microsecond=micro)
    except (ValueError, OverflowError):
        raise BadValue(f"is not a real date-time: {_show(text)}") from None


def _write_datetime(value: datetime) -> str:
    value = value.astimezone(UTC)
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def _read_date(text: str) -> date:
    match = _DATE.fullmatch(text)
    if not match:
        raise BadValue(f"must be a date like 2024-05-03, not {_show(text)}")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise BadValue(f"is not a real date: {_show(text)}") from None


def _read_long(text: str, stype: SimpleType) -> int:
    if not _LONG.fullmatch(text):
        raise BadValue(f"must be a whole number, not {_show(text)}")
    number = int(text)
    high = stype.max_value if stype.max_value is not None else _LONG_MAX
    if not _LONG_MIN <= number <= high:
        raise BadValue(f"must be at most {high}, not {number}")
    return number


class Base64Stream:
    """xs:base64Binary read a piece at a time, as a parser hands over a large element's text: the same rules as
    `read` (whitespace ignored, only the alphabet, padding only at the end, a multiple of four, no stray bits in
    a padded last group), but holding only the decoded bytes, never the text. A bad value is noted and the rest
    ignored; `result()` raises BadValue then, with `read`'s words."""

    _BATCH_CHARS = 256 * 1024  # text gathered before it is checked and decoded (a parser hands it over in crumbs)

    def __init__(self) -> None:
        self._decoded = io.BytesIO()
        self._pieces: list[str] = []
        self._gathered = 0
        self._carry = ""  # significant characters of a group not yet complete (or the padded last group)
        self._padded = False
        self._bad = False

    def feed(self, text: str) -> None:
        if self._bad:
            return
        self._pieces.append(text)
        self._gathered += len(text)
        if self._gathered >= self._BATCH_CHARS:
            self._digest()

    def _digest(self) -> None:
        compact = without_whitespace("".join(self._pieces))
        self._pieces.clear()
        self._gathered = 0
        if not compact or self._bad:
            return
        if self._padded:  # after the first "=" only "=" may follow, at most two in all
            self._carry += compact
            self._bad = bool(compact.strip("=")) or self._carry.count("=") > 2
            return
        if not _BASE64.fullmatch(compact):
            self._bad = True
            return
        data = self._carry + compact
        first_pad = data.find("=")
        self._padded = first_pad >= 0
        keep_from = first_pad - first_pad % 4 if self._padded else len(data) - len(data) % 4
        if keep_from:
            self._decoded.write(binascii.a2b_base64(data[:keep_from].encode("ascii"), strict_mode=True))
        self._carry = data[keep_from:]

    def result(self) -> bytes:
        self._digest()
        if self._bad or len(self._carry) % 4:
            raise BadValue("is not valid base64")
        if self._carry:
            last = _read_base64(self._carry)  # the padded last group, with its stray-bits check
            self._decoded.write(last)
            self._carry = ""
        return self._decoded.getvalue()


def _read_base64(text: str) -> bytes:
    compact = without_whitespace(text)
    if len(compact) % 4 or not _BASE64.fullmatch(compact):
        raise BadValue("is not valid base64")
    try:
        data = base64.b64decode(compact, validate=True)
    except binascii.Error:
        raise BadValue("is not valid base64") from None
    # XSD requires the unused bits of the last group to be zero: only the canonical form is valid. Only a padded
    # last group can have unused bits, so only it is encoded again (not the whole document: a copy of its size).
    padding = compact[-2:].count("=")
    if padding and base64.b64encode(data[-(3 - padding):]).decode("ascii") != compact[-4:]:
        raise BadValue("is not valid base64 (the last group has stray bits)")
    return data


def _show(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")
