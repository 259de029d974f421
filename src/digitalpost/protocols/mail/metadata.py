"""The metadata file (`dkalmetadata.xml`) attached to every inquiry the hub forwards to an authority.

It tells the authority's systems, in a form they can read without us, who wrote (CPR or CVR), to which
mailbox and topic, what the citizen entered in the mailbox's metadata fields, which thread a reply must
keep, and which attachments came with the inquiry (with size and SHA-256). Our own namespace
`urn:digitalpost:dkalmetadata:1`, UTF-8. Not for: routing replies (that is the dialog thread's job).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID

from lxml import etree

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.mail.mime import EncodedContent, FileContent, clean_filename
from digitalpost.protocols.threads import THREAD_FILENAME, ReplyRule
from digitalpost.protocols.threads.xmlsafe import UnsafeXml, parse_hardened

METADATA_FILENAME = "dkalmetadata.xml"
METADATA_MEDIA_TYPE = "application/xml"
METADATA_NAMESPACE = "urn:digitalpost:dkalmetadata:1"
MAX_METADATA_BYTES = 1024 * 1024
_DIGITS = {"CPR": re.compile(r"[0-9]{10}"), "CVR": re.compile(r"[0-9]{8}")}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_NOTICE = (
    " DKAL-metadatafil fra Digital Post: oplysninger om henvendelsen. / Digital Post metadata file: facts "
    "about the inquiry. "
)


class IdentityType(StrEnum):
    CPR = "CPR"
    CVR = "CVR"


@dataclass(frozen=True)
class AttachmentInfo:
    """One of the citizen's attachments as the authority receives it."""

    filename: str
    media_type: str
    size: int
    sha256: str  # lower-case hex

    @classmethod
    def of(cls, filename: str, media_type: str, content: FileContent) -> AttachmentInfo:
        if isinstance(content, EncodedContent):  # size and hash recorded with the text
            return cls(filename, media_type, content.size, content.sha256)
        return cls(filename, media_type, len(content), hashlib.sha256(content).hexdigest())


RESERVED_FILENAMES = (THREAD_FILENAME, METADATA_FILENAME)


def attachment_filename(filename: str) -> str:
    """The name a citizen's file gets in the mail: control characters and slashes replaced, and a name the
    hub reserves for its own files prefixed `bilag-` (a citizen's dkaldialogtraad.xml must never pass for
    the real one)."""
    name = clean_filename(filename)
    return f"bilag-{name}" if name.lower() in RESERVED_FILENAMES else name


def describe_attachments(attachments: Sequence[tuple[str, str, FileContent]]) -> tuple[AttachmentInfo, ...]:
    """`InquiryMetadata.attachments` for the citizen's files, under the names they get in the mail."""
    return tuple(
        AttachmentInfo.of(attachment_filename(name), media_type, content) for name, media_type, content in attachments
    )


@dataclass(frozen=True)
class InquiryMetadata:
    """What the metadata file says. `fields` are the mailbox's metadata fields as (label, value), in order."""

    message_id: UUID
    created_at: datetime
    sender_type: IdentityType
    sender_number: str
    sender_name: str
    authority_cvr: str
    mailbox_id: UUID
    mailbox_name: str
    thread_id: UUID
    reply_rule: ReplyRule = ReplyRule.REPLY_ALLOWED
    topic: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    attachments: tuple[AttachmentInfo, ...] = ()

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")
        object.__setattr__(self, "created_at", self.created_at.astimezone(UTC))
        if not _DIGITS[self.sender_type].fullmatch(self.sender_number):
            raise ValueError(f"sender_number is not a {self.sender_type} number")
        if not _DIGITS["CVR"].fullmatch(self.authority_cvr):
            raise ValueError("authority_cvr must be 8 digits")
        for info in self.attachments:
            if info.size < 0 or not _SHA256.fullmatch(info.sha256):
                raise ValueError(f"attachment {info.filename!r}: size or sha256 is not valid")


def _q(name: str) -> str:
    return f"{{{METADATA_NAMESPACE}}}{name}"


# What lxml refuses in a text (ValueError): the C0 controls but tab, LF and CR, surrogates, U+FFFE and U+FFFF.
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _element(depth: int, name: str, text: str) -> str:
    if _NOT_XML_TEXT.search(text):
        raise ValueError(f"{name}: the text contains characters XML cannot hold")
    # How lxml writes a text: these escaped (CR as a reference, so a reader's end-of-line handling keeps it), "&"
    # first. Four `replace`s, not `str.translate` with a table of strings: that looks each character up in a dict,
    # ~6x slower for the short texts of this file (a dozen per forward).
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return f"{'  ' * depth}<{name}>{text}</{name}>\n"


def _container(depth: int, name: str, children: list[str], attributes: str = "") -> str:
    if not children:
        return f"{'  ' * depth}<{name}{attributes}/>\n"
    return f"{'  ' * depth}<{name}{attributes}>\n{''.join(children)}{'  ' * depth}</{name}>\n"


def render_metadata_file(meta: InquiryMetadata) -> bytes:
    """`dkalmetadata.xml` for `meta` (UTF-8, indented, with a one-line comment saying what it is).

    Written as text, byte for byte what lxml wrote for the same tree (`etree.indent` with two spaces, then
    `tostring`; a property test holds the two equal, refusals included): the lxml tree cost a small forward
    ~0.1 ms, more than any other piece of its entity. The file is read with lxml (`read_metadata_file`).
    """
    children = [  # in the document's order: a text XML cannot hold is named as lxml named the first one
        _element(1, "MessageId", str(meta.message_id)),
        _element(1, "CreatedAt", meta.created_at.isoformat().replace("+00:00", "Z")),
        _container(1, "Sender", [_element(2, "Number", meta.sender_number), _element(2, "Name", meta.sender_name)],
                   f' type="{meta.sender_type}"'),  # CPR or CVR (checked when meta was made)
        _element(1, "AuthorityCVR", meta.authority_cvr),
        _container(1, "Mailbox", [_element(2, "Id", str(meta.mailbox_id)), _element(2, "Name", meta.mailbox_name)]),
        *([_element(1, "Topic", meta.topic)] if meta.topic is not None else []),
        _container(1, "Fields", [_container(2, "Field", [_element(3, "Label", label), _element(3, "Value", value)])
                                 for label, value in meta.fields]),
        _element(1, "ThreadId", str(meta.thread_id)),
        _element(1, "ReplyRule", str(meta.reply_rule)),
        _container(1, "Attachments", [_container(2, "Attachment", [
            _element(3, "Filename", info.filename), _element(3, "MediaType", info.media_type),
            _element(3, "Size", str(info.size)), _element(3, "SHA256", info.sha256),
        ]) for info in meta.attachments]),
    ]
    body = _container(0, "InquiryMetadata", children, f' xmlns="{METADATA_NAMESPACE}" version="1"')
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!--{_NOTICE}-->\n{body}'.encode()


def read_metadata_file(data: bytes) -> InquiryMetadata:
    """The metadata in a `dkalmetadata.xml` file, or mail.malformed naming what is wrong."""
    try:
        root = parse_hardened(data, max_bytes=MAX_METADATA_BYTES)
    except UnsafeXml as error:
        raise _malformed(str(error)) from None
    if root.tag != _q("InquiryMetadata") or root.get("version") != "1":
        raise _malformed(f"the root element is not InquiryMetadata version 1 in namespace {METADATA_NAMESPACE}")
    try:
        return _read(_Children(root))
    except (ValueError, KeyError) as error:
        raise _malformed(str(error)) from None


class _Children:
    """Walks an element's children in order; every child must be expected, every required one present."""

    def __init__(self, parent: etree._Element) -> None:
        if (parent.text or "").strip():
            raise ValueError(f"unexpected text in {etree.QName(parent).localname}")
        self.parent = parent
        self.items: Iterator[etree._Element] = iter(parent)
        self.next: etree._Element | None = next(self.items, None)

    def optional(self, name: str) -> etree._Element | None:
        found = self.next
        if found is None or found.tag != _q(name):
            return None
        self.next = next(self.items, None)
        return found

    def take(self, name: str) -> etree._Element:
        found = self.optional(name)
        if found is None:
            raise ValueError(f"{etree.QName(self.parent).localname} must contain {name} here")
        return found

    def text(self, name: str) -> str:
        element = self.take(name)
        if len(element):
            raise ValueError(f"{name} must hold text only")
        return element.text or ""

    def many(self, name: str) -> Iterator[_Children]:
        while (found := self.optional(name)) is not None:
            yield _Children(found)

    def done(self) -> None:
        if self.next is not None:
            raise ValueError(f"unexpected element {etree.QName(self.next).localname} "
                             f"in {etree.QName(self.parent).localname}")


def _read(top: _Children) -> InquiryMetadata:
    message_id = UUID(top.text("MessageId"))
    created = top.text("CreatedAt")
    if not created.endswith("Z"):
        raise ValueError("CreatedAt must be UTC, ending in Z")
    sender_element = top.take("Sender")
    sender = _Children(sender_element)
    sender_type = IdentityType(sender_element.get("type", ""))
    sender_number, sender_name = sender.text("Number"), sender.text("Name")
    sender.done()
    authority_cvr = top.text("AuthorityCVR")
    mailbox = _Children(top.take("Mailbox"))
    mailbox_id, mailbox_name = UUID(mailbox.text("Id")), mailbox.text("Name")
    mailbox.done()
    topic_element = top.optional("Topic")
    if topic_element is not None and len(topic_element):
        raise ValueError("Topic must hold text only")
    fields: list[tuple[str, str]] = []
    field_list = _Children(top.take("Fields"))
    for field in field_list.many("Field"):
        fields.append((field.text("Label"), field.text("Value")))
        field.done()
    field_list.done()
    thread_id, reply_rule = UUID(top.text("ThreadId")), ReplyRule(top.text("ReplyRule"))
    attachments: list[AttachmentInfo] = []
    attachment_list = _Children(top.take("Attachments"))
    for item in attachment_list.many("Attachment"):
        filename, media_type, size = item.text("Filename"), item.text("MediaType"), item.text("Size")
        if not size.isascii() or not size.isdigit():
            raise ValueError(f"Size must be a whole number of bytes, not {size!r}")
        attachments.append(AttachmentInfo(filename, media_type, int(size), item.text("SHA256")))
        item.done()
    attachment_list.done()
    top.done()
    return InquiryMetadata(
        message_id=message_id, created_at=datetime.fromisoformat(created), sender_type=sender_type,
        sender_number=sender_number, sender_name=sender_name, authority_cvr=authority_cvr,
        mailbox_id=mailbox_id, mailbox_name=mailbox_name, thread_id=thread_id, reply_rule=reply_rule,
        topic=None if topic_element is None else (topic_element.text or ""), fields=tuple(fields),
        attachments=tuple(attachments),
    )


def _malformed(detail: str) -> DigitalPostError:
    return DigitalPostError(ErrorCode.MAIL_MALFORMED, f"{METADATA_FILENAME}: {detail}")
