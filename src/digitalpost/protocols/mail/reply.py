"""Reading a reply (or any mail in a dialog thread) and building one that keeps the thread.

`parse_reply` takes the MIME entity the gateway got after decryption (or a whole .eml) and returns the
subject, the text (plain, else HTML reduced to text), the files, and the three thread carriers; the hub's own
`dkaldialogtraad.xml` and `dkalmetadata.xml` are kept apart from the files. Mail programs build replies in
many shapes (Outlook: multipart/alternative inside multipart/mixed, RFC 2231 or RFC 2047 file names), so
the reader is lenient about style and strict about structure: broken multipart framing, runaway nesting or
no headers at all are refused with mail.malformed. `build_reply_entity` / `reply_envelope` are the reply
assistant's side. Not for: signature checks, deciding whether the reply may be filed.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import errors, policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value, parseaddr
from html.parser import HTMLParser

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.mail.metadata import METADATA_FILENAME
from digitalpost.protocols.mail.mime import (
    Envelope,
    MailAttachment,
    mixed_entity,
    subparts,
)
from digitalpost.protocols.threads import (
    THREAD_FILE_MEDIA_TYPE,
    THREAD_FILENAME,
    THREAD_HEADER,
    Carrier,
    ThreadCarriers,
    ThreadTokenError,
    find_in_subject,
    read_header,
    read_thread_file,
    tag_subject,
    untag_subject,
)

MAX_PARTS = 500
MAX_DEPTH = 20
_FATAL_DEFECTS = (
    errors.NoBoundaryInMultipartDefect, errors.StartBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect, errors.MissingHeaderBodySeparatorDefect,
    errors.FirstHeaderLineIsContinuationDefect,
)
_REPLY_PREFIX = re.compile(r"^\s*(re|sv|aw|vs|fw|fwd)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedReply:
    subject: str
    text: str
    attachments: tuple[MailAttachment, ...]
    thread_carriers: ThreadCarriers
    from_addr: str | None
    message_id: str | None
    in_reply_to: str | None
    thread_file: bytes | None = field(default=None, repr=False)  # dkaldialogtraad.xml as received
    metadata_file: bytes | None = field(default=None, repr=False)  # dkalmetadata.xml as received


def parse_reply(entity: bytes, *, envelope: bytes | Message | None = None) -> ParsedReply:
    """Read `entity`; headers it lacks (Subject, From, …) are taken from `envelope` (the outer headers)."""
    try:
        return _parse(entity, envelope)
    except DigitalPostError:
        raise
    except (errors.MessageError, ValueError, LookupError, IndexError, AttributeError, TypeError) as error:
        raise DigitalPostError(ErrorCode.MAIL_MALFORMED, f"{type(error).__name__}: {error}") from None


def _parse(entity: bytes, envelope: bytes | Message | None) -> ParsedReply:
    if not isinstance(entity, bytes) or not entity.strip():
        raise DigitalPostError(ErrorCode.MAIL_MALFORMED, "the mail is empty")
    # compat32 keeps header values raw and parses them only when asked; policy.default (headerregistry) parses
    # every header on every read, which was most of a reply's parse time. The few values read below go
    # through `_fetch`, which is exactly what policy.default's `get` would return.
    message = BytesParser(policy=policy.compat32).parsebytes(entity)
    if not message.keys():
        raise DigitalPostError(ErrorCode.MAIL_MALFORMED, "the mail has no headers")
    outer = envelope if isinstance(envelope, Message) or envelope is None else (
        BytesParser(policy=policy.compat32).parsebytes(envelope, headersonly=True)
    )
    walker = _Walker()
    walker.walk(message, depth=0)

    def header(name: str) -> str | None:
        for source in (message, outer):
            if source is not None and source.get(name) is not None:
                return _decoded(_fetch(source, name))
        return None

    subject = header("Subject") or ""
    attachment_token: str | None = None
    unreadable: frozenset[Carrier] = frozenset()
    if walker.thread_file is not None:
        try:
            attachment_token = read_thread_file(walker.thread_file)
        except ThreadTokenError:
            unreadable = frozenset({Carrier.ATTACHMENT})
    carriers = ThreadCarriers(
        attachment=attachment_token, header=read_header(header(THREAD_HEADER)),
        subject=find_in_subject(subject), unreadable=unreadable,
    )
    from_addr = parseaddr(header("From") or "")[1] or None
    return ParsedReply(
        subject=re.sub(r"\s+", " ", subject).strip(), text=walker.text(),
        attachments=tuple(walker.attachments), thread_carriers=carriers, from_addr=from_addr,
        message_id=_msg_id(header("Message-ID")), in_reply_to=_msg_id(header("In-Reply-To")),
        thread_file=walker.thread_file, metadata_file=walker.metadata_file,
    )


class _Walker:
    def __init__(self) -> None:
        self.parts = 0
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[MailAttachment] = []
        self.thread_file: bytes | None = None
        self.metadata_file: bytes | None = None

    def walk(self, part: Message, depth: int) -> None:
        self.parts += 1
        if depth > MAX_DEPTH or self.parts > MAX_PARTS:
            raise DigitalPostError(ErrorCode.MAIL_MALFORMED, "the mail is nested too deeply or has too many parts")
        if not all(value.isascii() for _, value in part.raw_items()):
            # Raw 8-bit header values (RFC 6532): read this part's headers the way policy.default reads them.
            part.policy = policy.default
        fatal = [defect for defect in part.defects if isinstance(defect, _FATAL_DEFECTS)]
        if fatal:
            raise DigitalPostError(ErrorCode.MAIL_MALFORMED, f"broken MIME structure: {type(fatal[0]).__name__}")
        if part.get_content_maintype() == "multipart":
            for sub in subparts(part):
                self.walk(sub, depth + 1)
        elif part.is_multipart():  # message/rfc822 and friends: a forwarded mail is a file, not our text
            self._file(part, _body_bytes(part))
        else:
            self._leaf(part)

    def _leaf(self, part: Message) -> None:
        filename = _filename(part)
        if filename is None and part.get_content_disposition() != "attachment":
            subtype = part.get_content_type()
            if subtype == "text/plain":
                self.plain.append(_text_of(part))
                return
            if subtype == "text/html":
                self.html.append(_text_of(part))
                return
        content = part.get_payload(decode=True)
        self._file(part, content if isinstance(content, bytes) else b"", filename)

    def _file(self, part: Message, content: bytes, filename: str | None = None) -> None:
        media_type = part.get_content_type()
        name = filename or _filename(part) or f"bilag-{len(self.attachments) + 1}{_extension(media_type)}"
        lowered = name.lower()
        if lowered == THREAD_FILENAME and self.thread_file is None:
            self.thread_file = content
        elif lowered == METADATA_FILENAME and self.metadata_file is None:
            self.metadata_file = content
        else:
            self.attachments.append(MailAttachment(name, media_type, content))

    def text(self) -> str:
        text = "\n".join(self.plain) if self.plain else "\n".join(html_to_text(html) for html in self.html)
        return text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")


def _fetch(source: Message, name: str) -> str:
    """A header's value as policy.default reads it (unfolded, RFC 2047 and raw UTF-8 decoded)."""
    if source.policy is not policy.compat32:
        return str(source.get(name))
    raw = next(value for key, value in source.raw_items() if key.lower() == name.lower())
    return str(policy.default.header_fetch_parse(name, raw))


def _filename(part: Message) -> str | None:
    raw = part.get_filename() or part.get_param("name", header="content-type")
    if raw is None:
        return None
    name = collapse_rfc2231_value(raw)
    if "=?" in name:  # Outlook and others put RFC 2047 encoded-words inside the quotes
        name = _decoded(name)
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name or None


def _decoded(value: object) -> str:
    text = str(value)
    if "=?" in text:
        with contextlib.suppress(ValueError, LookupError, UnicodeError, errors.HeaderParseError):
            text = str(make_header(decode_header(text)))
    return text


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name: most mail today is UTF-8
        return data.decode("utf-8", errors="replace")


def _body_bytes(part: Message) -> bytes:
    data = part.as_bytes(policy=policy.SMTP)
    split = data.find(b"\r\n\r\n")
    return data[split + 4:] if split >= 0 else b""


def _extension(media_type: str) -> str:
    if media_type == "message/rfc822":
        return ".eml"
    return mimetypes.guess_extension(media_type, strict=False) or ".bin"


def _msg_id(value: str | None) -> str | None:
    if not value:
        return None
    found = re.search(r"<[^<>\s]+>", value)
    return found.group(0) if found else value.strip() or None


class _TextOnly(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
                         "table", "ul", "ol", "hr"})
    _HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self.hidden += 1
        elif tag in self._BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(re.sub(r"[ \t\r\n\xa0]+", " ", data))


def html_to_text(html: str) -> str:
    """Readable text from an HTML body: tags dropped, blocks become lines, scripts and styles skipped."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def reply_subject(original_subject: str, thread_token: str) -> str:
    """"SV: <original subject> [DP:<token>]", without piling up prefixes."""
    bare = untag_subject(original_subject)
    return tag_subject(bare if _REPLY_PREFIX.match(bare) else f"SV: {bare}", thread_token)


def build_reply_entity(
    *, thread_token: str, thread_file: bytes, body_text: str, attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """A reply entity that keeps the thread: the text, the files, the thread file (as received, or
    `render_thread_file(ref, token)`), and the thread header. Pair it with `reply_envelope`."""
    for filename, _, _ in attachments:
        if filename.strip().lower() in (THREAD_FILENAME, METADATA_FILENAME):
            raise ValueError(f"{filename} is added by the hub; do not pass it as an attachment")
    digest = hashlib.sha256(thread_token.encode() + body_text.encode())
    for filename, media_type, content in attachments:
        digest.update(f"\0{filename}\0{media_type}\0".encode() + hashlib.sha256(content).digest())
    return mixed_entity(text=body_text, files=[*attachments, (THREAD_FILENAME, THREAD_FILE_MEDIA_TYPE, thread_file)],
                        thread_token=thread_token, boundary_seed=digest.hexdigest()[:32])


def reply_envelope(
    *, original: ParsedReply, thread_token: str, from_addr: str, to_addr: str, message_id: str, now: datetime,
) -> Envelope:
    """The outside headers of a reply to `original`: "SV: …[DP:…]", In-Reply-To and References."""
    return Envelope(
        from_addr=from_addr, to_addr=to_addr, subject=reply_subject(original.subject, thread_token),
        message_id=message_id, date=now, thread_token=thread_token, in_reply_to=original.message_id,
        references=(original.message_id,) if original.message_id else (),
    )
