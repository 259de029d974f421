"""The inquiry mail an authority receives: subject, thread carriers, text, files, metadata, CRLF."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from email import base64mime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitalpost.protocols.mail import (
    EncodedContent,
    FileContent,
    build_inner_entity,
    build_inquiry_mail,
    describe_attachments,
    inquiry_envelope,
    parse_reply,
    read_metadata_file,
    render_envelope,
    with_envelope,
)
from digitalpost.protocols.mail.mime import _base64_words
from digitalpost.protocols.threads import (
    THREAD_HEADER,
    find_in_subject,
    read_thread_file,
    verify,
)
from helpers.mailcast import (
    ATTACHMENTS,
    AUTHORITY,
    BODY,
    HUB,
    META,
    NOW,
    REF,
    RING,
    SUBJECT,
    TOKEN,
    assert_crlf_only,
    inquiry_mail,
    parsed,
)


def _files(message):
    return [(part.get_filename(), part.get_content_type(), part.get_content()) for part in message.iter_attachments()]


def test_inquiry_mail_parses_back_with_crlf_line_endings_only():
    data = inquiry_mail()
    assert_crlf_only(data)
    message = parsed(data)
    assert message.defects == []
    assert message.get_content_type() == "multipart/mixed"
    assert message["From"] == HUB
    assert message["To"] == AUTHORITY
    assert message["Message-ID"] == f"<{META.message_id}@hub.example>"
    assert message["MIME-Version"] == "1.0"
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


def test_subject_names_mailbox_topic_and_citizens_subject_and_carries_the_tag():
    subject = str(parsed(inquiry_mail())["Subject"])
    assert subject == f"Borgerservice / Parkering: {SUBJECT} [DP:{TOKEN}]"
    assert find_in_subject(subject) == TOKEN
    assert inquiry_mail().isascii()  # RFC 2047 subject, RFC 2231 names, QP text, base64 files: 7-bit, safe to sign


def test_subject_without_topic_names_only_the_mailbox():
    meta = dataclasses.replace(META, topic=None)
    envelope = inquiry_envelope(meta=meta, subject_text="Hej", thread_token=TOKEN, from_addr=HUB, to_addr=AUTHORITY,
                                message_id_domain="hub.example", now=NOW)
    assert envelope.subject == f"Borgerservice: Hej [DP:{TOKEN}]"


def test_thread_travels_in_header_and_attachment_and_verifies():
    message = parsed(inquiry_mail())
    assert message[THREAD_HEADER] == TOKEN
    assert inquiry_mail().count(THREAD_HEADER.encode()) == 1
    files = {name: content for name, _, content in _files(message)}
    assert read_thread_file(files["dkaldialogtraad.xml"]) == TOKEN
    assert verify(TOKEN, keyring=RING, expected_authority_cvr="29189846") == REF


def test_text_part_has_the_citizens_text_and_how_to_reply_in_danish_and_english():
    message = parsed(inquiry_mail())
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith(BODY)
    assert "Sådan svarer I" in text
    assert "How to reply" in text
    assert "dkaldialogtraad.xml" in text


def test_files_in_order_citizens_then_metadata_then_thread_with_danish_names_intact():
    files = _files(parsed(inquiry_mail()))
    assert [(name, media) for name, media, _ in files] == [
        ("Lægeerklæring – Ærø.pdf", "application/pdf"), ("foto.jpg", "image/jpeg"),
        ("dkalmetadata.xml", "application/xml"), ("dkaldialogtraad.xml", "application/xml"),
    ]
    assert [content for _, _, content in files[:2]] == [content for _, _, content in ATTACHMENTS]
    assert read_metadata_file(files[2][2]) == META


def test_inner_entity_plus_envelope_is_the_whole_mail_and_the_entity_has_no_envelope_headers():
    entity = build_inner_entity(meta=META, body_text=BODY, attachments=ATTACHMENTS, thread_token=TOKEN)
    envelope = inquiry_envelope(meta=META, subject_text=SUBJECT, thread_token=TOKEN, from_addr=HUB,
                                to_addr=AUTHORITY, message_id_domain="hub.example", now=NOW)
    assert with_envelope(envelope, entity) == inquiry_mail()
    head = parsed(entity)
    assert head["Subject"] is None
    assert head["From"] is None
    assert head[THREAD_HEADER] == TOKEN
    assert_crlf_only(entity)


def test_same_inquiry_gives_the_same_bytes_so_a_retry_is_the_same_mail():
    assert inquiry_mail() == inquiry_mail()


def test_a_citizens_file_named_like_the_thread_file_is_renamed_and_cannot_pose_as_it():
    fake = [("DKALDIALOGTRAAD.XML", "application/xml", b"<fake/>")]
    meta = dataclasses.replace(META, attachments=describe_attachments(fake))
    entity = build_inner_entity(meta=meta, body_text=BODY, attachments=fake, thread_token=TOKEN)
    names = [part.get_filename() for part in parsed(entity).iter_attachments()]
    assert names == ["bilag-DKALDIALOGTRAAD.XML", "dkalmetadata.xml", "dkaldialogtraad.xml"]
    assert meta.attachments[0].filename == "bilag-DKALDIALOGTRAAD.XML"


def test_metadata_that_does_not_describe_the_files_is_refused():
    with pytest.raises(ValueError, match="describe"):
        build_inner_entity(meta=META, body_text=BODY, attachments=ATTACHMENTS[:1], thread_token=TOKEN)


def test_file_claiming_to_be_multipart_is_sent_as_octet_stream():
    files = [("x.eml", "multipart/mixed", b"--x--")]
    meta = dataclasses.replace(META, attachments=describe_attachments(files))
    entity = build_inner_entity(meta=meta, body_text=BODY, attachments=files, thread_token=TOKEN)
    assert next(p.get_content_type() for p in parsed(entity).iter_attachments()) == "application/octet-stream"


printable = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff")


@settings(max_examples=60, deadline=None)
@given(
    subject=st.text(printable, max_size=80),
    body=st.text(printable | st.just("\n"), max_size=300),
    names=st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Zs"),
                                         blacklist_characters="/\\\ufeff"), min_size=1, max_size=30),
                   max_size=3),
)
def test_any_subject_text_and_file_names_survive_the_trip(subject, body, names):
    files = [(name, "application/octet-stream", name.encode()) for name in names]
    meta = dataclasses.replace(META, attachments=describe_attachments(files))
    mail = build_inquiry_mail(meta=meta, subject_text=subject, body_text=body, attachments=files, thread_token=TOKEN,
                              from_addr=HUB, to_addr=AUTHORITY, message_id_domain="hub.example", now=NOW)
    assert_crlf_only(mail)
    reply = parse_reply(mail)
    # Header folding may turn any run of Unicode white space into one space: compare with runs collapsed.
    assert " ".join(reply.subject.split()) == " ".join(f"Borgerservice / Parkering: {subject} [DP:{TOKEN}]".split())
    assert reply.text.startswith(body.rstrip().lstrip("\n"))
    expected = [(info.filename, name.encode()) for info, name in zip(meta.attachments, names, strict=True)]
    assert [(a.filename, a.content) for a in reply.attachments] == expected
    assert reply.thread_carriers.subject == TOKEN


@settings(max_examples=100, deadline=None)
@given(
    body=st.text(st.characters(blacklist_categories=("Cs",)), max_size=200),
    names=st.lists(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20), max_size=3),
    media_type=st.sampled_from(["application/pdf", "text/plain", "x/y\r\nz", "multipart/mixed", ""]),
    encoded=st.booleans(),
)
def test_the_inner_entity_has_crlf_line_ends_only_whatever_the_text_and_file_names(body, names, media_type, encoded):
    # The forward signs it as canonical (no second count of its line ends): any text, any file name, either the
    # direct writer or the email package's, bare CR, LF and line separators included.
    def content(data: bytes) -> FileContent:
        return EncodedContent(base64.b64encode(data), len(data), hashlib.sha256(data).hexdigest()) if encoded else data

    files = [(name, media_type, content(name.encode())) for name in names]
    meta = dataclasses.replace(META, attachments=describe_attachments(files))
    assert_crlf_only(build_inner_entity(meta=meta, body_text=body, attachments=files, thread_token=TOKEN))


@settings(max_examples=100, deadline=None)
@given(subject=st.text(printable, min_size=1, max_size=200).filter(lambda s: not s.isascii()))
def test_a_non_ascii_subject_is_written_as_encoded_words_in_lines_of_at_most_78(subject):
    envelope = inquiry_envelope(meta=META, subject_text=subject, thread_token=TOKEN, from_addr=HUB, to_addr=AUTHORITY,
                                message_id_domain="hub.example", now=NOW)
    head = render_envelope(envelope)
    field = head[head.index(b"Subject: "):head.index(b"\r\nDate: ")]
    lines = field.split(b"\r\n")

    assert all(len(line) <= 78 for line in lines)
    assert all(len(word) <= 75 and word.startswith(b"=?utf-8?b?") for word in field[9:].split(b"\r\n "))
    assert str(parsed(head + b"\r\n")["Subject"]) == envelope.subject


def _words_one_character_at_a_time(value: str, *, first: int) -> list[str]:
    # The encoder of decision 0020, kept as the reference: a character joins the word while the word still fits.
    words: list[str] = []
    room = min(first, 75)
    chunk: list[str] = []
    size = 0
    for char in value:
        length = len(char.encode("utf-8"))
        if chunk and len("=?utf-8?b??=") + 4 * -(-(size + length) // 3) > room:
            words.append(base64mime.header_encode("".join(chunk), charset="utf-8"))
            room, chunk, size = 75, [], 0
        chunk.append(char)
        size += length
    words.append(base64mime.header_encode("".join(chunk), charset="utf-8"))
    return words


@given(st.text(min_size=1, max_size=300), st.integers(min_value=1, max_value=80))
@settings(max_examples=500)
def test_the_subjects_encoded_words_are_cut_where_one_character_at_a_time_cut_them(value, first):
    assert _base64_words(value, first=first) == _words_one_character_at_a_time(value, first=first)
