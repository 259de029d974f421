"""The metadata file dkalmetadata.xml: round trip, readable content, refusal of hostile or broken files."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.mail import (
    METADATA_NAMESPACE,
    AttachmentInfo,
    IdentityType,
    InquiryMetadata,
    read_metadata_file,
    render_metadata_file,
)
from digitalpost.protocols.threads import ReplyRule
from helpers.mailcast import META

# Text XML 1.0 can hold (no control characters other than tab/newline/CR, no surrogates, no U+FFFE/FFFF).
xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
                   | st.sampled_from("\t\n\r"), max_size=40)


@st.composite
def metadata(draw):
    sender_type = draw(st.sampled_from(IdentityType))
    return InquiryMetadata(
        message_id=draw(st.uuids()),
        created_at=draw(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1),
                                     timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]))),
        sender_type=sender_type,
        sender_number=draw(st.from_regex(r"\A[0-9]{10}\Z" if sender_type is IdentityType.CPR else r"\A[0-9]{8}\Z")),
        sender_name=draw(xml_text),
        authority_cvr=draw(st.from_regex(r"\A[0-9]{8}\Z")),
        mailbox_id=draw(st.uuids()),
        mailbox_name=draw(xml_text),
        thread_id=draw(st.uuids()),
        reply_rule=draw(st.sampled_from(ReplyRule)),
        topic=draw(st.none() | xml_text),
        fields=tuple(draw(st.lists(st.tuples(xml_text, xml_text), max_size=4))),
        attachments=tuple(draw(st.lists(st.builds(
            AttachmentInfo, xml_text, st.sampled_from(["application/pdf", "image/png"]), st.integers(0, 10**12),
            st.from_regex(r"\A[0-9a-f]{64}\Z"),
        ), max_size=3))),
    )


@given(metadata())
def test_any_metadata_round_trips(meta):
    assert read_metadata_file(render_metadata_file(meta)) == meta


def test_metadata_file_is_readable_utf8_in_our_namespace():
    text = render_metadata_file(META).decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert METADATA_NAMESPACE in text
    assert "<Name>Anna Ødegård</Name>" in text
    assert '<Sender type="CPR">' in text
    assert "<Label>Sagsnummer</Label>" in text
    assert "<CreatedAt>2024-05-03T09:00:00Z</CreatedAt>" in text


def test_created_time_is_kept_in_utc():
    local = dataclasses.replace(META, created_at=datetime(2024, 5, 3, 11, 0, tzinfo=timezone(timedelta(hours=2))))
    assert local.created_at == datetime(2024, 5, 3, 9, 0, tzinfo=UTC)
    assert local.created_at.tzinfo is UTC


def test_metadata_checks_numbers_and_times():
    with pytest.raises(ValueError, match="CPR"):
        dataclasses.replace(META, sender_number="12345678")
    with pytest.raises(ValueError, match="timezone"):
        dataclasses.replace(META, created_at=datetime(2024, 5, 3))
    with pytest.raises(ValueError, match="XML"):
        render_metadata_file(dataclasses.replace(META, sender_name="Anna\x00"))


GOOD = render_metadata_file(META)


@pytest.mark.parametrize("data", [
    b"",
    b"<not-xml",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    GOOD.replace(b'version="1"', b'version="2"'),
    GOOD.replace(b"urn:digitalpost:dkalmetadata:1", b"urn:other"),
    GOOD.replace(b"</Fields>", b"<Extra/></Fields>"),
    GOOD.replace(b"<Size>", b"<Size>-"),
    GOOD.replace(b"2024-05-03T09:00:00Z", b"2024-05-03T09:00:00"),
    GOOD.replace(b"<Topic>Parkering</Topic>", b"<Topic><b>Parkering</b></Topic>"),
    GOOD.replace(b"reply-allowed", b"maybe"),
    GOOD.replace(b'type="CPR"', b'type="SE"'),
    GOOD.replace(b"<MessageId>", b"<MessageId>x"),
    b"<a>" * 2_000_000,
])
def test_broken_or_hostile_metadata_files_are_refused_as_mail_malformed(data):
    with pytest.raises(DigitalPostError) as raised:
        read_metadata_file(data)
    assert raised.value.code is ErrorCode.MAIL_MALFORMED


def _lxml_metadata_file(meta: InquiryMetadata) -> bytes:
    # The lxml writer the text writer replaced (decision 0027): the reference the text writer must equal byte for byte.
    def q(name: str) -> str:
        return f"{{{METADATA_NAMESPACE}}}{name}"

    def add(parent: etree._Element, name: str, text: str) -> etree._Element:
        element = etree.SubElement(parent, q(name))
        try:
            element.text = text
        except ValueError:
            raise ValueError(f"{name}: the text contains characters XML cannot hold") from None
        return element

    root = etree.Element(q("InquiryMetadata"), nsmap={None: METADATA_NAMESPACE})
    root.set("version", "1")
    add(root, "MessageId", str(meta.message_id))
    add(root, "CreatedAt", meta.created_at.isoformat().replace("+00:00", "Z"))
    sender = etree.SubElement(root, q("Sender"))
    sender.set("type", str(meta.sender_type))
    add(sender, "Number", meta.sender_number)
    add(sender, "Name", meta.sender_name)
    add(root, "AuthorityCVR", meta.authority_cvr)
    mailbox = etree.SubElement(root, q("Mailbox"))
    add(mailbox, "Id", str(meta.mailbox_id))
    add(mailbox, "Name", meta.mailbox_name)
    if meta.topic is not None:
        add(root, "Topic", meta.topic)
    fields = etree.SubElement(root, q("Fields"))
    for label, value in meta.fields:
        field = etree.SubElement(fields, q("Field"))
        add(field, "Label", label)
        add(field, "Value", value)
    add(root, "ThreadId", str(meta.thread_id))
    add(root, "ReplyRule", str(meta.reply_rule))
    attachments = etree.SubElement(root, q("Attachments"))
    for info in meta.attachments:
        attachment = etree.SubElement(attachments, q("Attachment"))
        add(attachment, "Filename", info.filename)
        add(attachment, "MediaType", info.media_type)
        add(attachment, "Size", str(info.size))
        add(attachment, "SHA256", info.sha256)
    etree.indent(root, space="  ")
    body = etree.tostring(root, encoding="unicode")
    notice = render_metadata_file(META).decode().split("<!--", 1)[1].split("-->", 1)[0]
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!--{notice}-->\n{body}\n'.encode()


def _written(render, meta):
    try:
        return render(meta)
    except ValueError as refused:
        return str(refused)


any_text = st.text(max_size=12) | xml_text  # control characters, surrogates, U+FFFE: refused by both


@given(metadata(), any_text, any_text, st.lists(st.tuples(any_text, any_text), max_size=3), st.none() | any_text)
@settings(max_examples=300)
def test_the_file_is_written_byte_for_byte_as_lxml_wrote_it_and_refused_where_lxml_refused(
    meta, name, mailbox_name, fields, topic
):
    for changed in (meta, dataclasses.replace(meta, sender_name=name, mailbox_name=mailbox_name,
                                              fields=tuple(fields), topic=topic)):
        assert _written(render_metadata_file, changed) == _written(_lxml_metadata_file, changed)
