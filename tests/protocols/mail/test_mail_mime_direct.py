"""`mixed_entity` writes plain entities itself: byte for byte what the `email` package writes for the same parts."""

from __future__ import annotations

import base64
import hashlib

from hypothesis import example, given, settings
from hypothesis import strategies as st

from digitalpost.protocols.mail.metadata import describe_attachments
from digitalpost.protocols.mail.mime import (
    EncodedContent,
    FileContent,
    _direct_mixed,
    add_file,
    finish,
    mixed_entity,
    new_text_entity,
    set_thread_header,
)
from helpers.mailcast import TOKEN


def through_email_package(text: str, files: list[tuple[str, str, bytes]], token: str, seed: str) -> bytes:
    entity = new_text_entity(text)
    for file in files:
        add_file(entity, file)
    set_thread_header(entity, token)
    return finish(entity, boundary_seed=seed)


plain_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}( [A-Za-z0-9._-]{1,8})?", fullmatch=True)
any_names = st.one_of(plain_names, st.text(min_size=0, max_size=90))
media_types = st.one_of(
    st.sampled_from(["application/pdf", "text/plain", "image/png", "application/xml", "multipart/mixed",
                     "message/rfc822", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                     "not a type", " Application/PDF "]),
    st.text(max_size=30))
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400) | st.sampled_from(
    ["", "\n", "a \n", "line with trailing space \r\nnext\rthird", "=" * 200, "x" * 77 + " \n", "æ" * 90,
     "tab\t\n", ".\n..\n", "From me\n"])


@settings(max_examples=400, deadline=None)
@given(text=texts, files=st.lists(st.tuples(any_names, media_types, st.binary(max_size=300)), max_size=4),
       seed=st.sampled_from(["abc", "0123456789abcdef0123456789abcdef", "x y"]))
@example(text="Hej\n", files=[("kvittering.pdf", "application/pdf", b"%PDF-1.4")], seed="abc")
@example(text="", files=[("a.pdf", "application/pdf", b"")], seed="abc")
def test_the_same_bytes_as_the_email_package(text: str, files: list[tuple[str, str, bytes]], seed: str) -> None:
    assert mixed_entity(text=text, files=files, thread_token=TOKEN, boundary_seed=seed) == through_email_package(
        text, files, TOKEN, seed)


def test_plain_files_are_written_directly() -> None:
    # Otherwise the test above would only ever compare the email package with itself.
    files = [("kvittering.pdf", "application/pdf", b"%PDF-1.4 " * 50), ("dkalmetadata.xml", "application/xml", b"<a/>")]
    assert _direct_mixed("Hej Anna\n", files, TOKEN, "abc") is not None
    assert _direct_mixed("Hej Anna\n", [("kvittering æ.pdf", "application/pdf", b"x")], TOKEN, "abc") is None


def _encoded(content: bytes) -> EncodedContent:
    return EncodedContent(text=base64.b64encode(content), size=len(content),
                          sha256=hashlib.sha256(content).hexdigest())


@settings(max_examples=200, deadline=None)
@given(text=texts, files=st.lists(st.tuples(any_names, media_types, st.binary(max_size=300)), max_size=4),
       seed=st.sampled_from(["abc", "x y"]))
@example(text="Hej\n", files=[("kvittering.pdf", "application/pdf", b"%PDF-1.4" * 100)], seed="abc")
@example(text="", files=[("a.pdf", "application/pdf", b"")], seed="abc")
def test_a_file_given_as_its_base64_text_gives_the_same_bytes(text: str, files: list[tuple[str, str, bytes]],
                                                              seed: str) -> None:
    encoded: list[tuple[str, str, FileContent]] = [(name, media_type, _encoded(content))
                                                   for name, media_type, content in files]
    assert mixed_entity(text=text, files=encoded, thread_token=TOKEN, boundary_seed=seed) == mixed_entity(
        text=text, files=files, thread_token=TOKEN, boundary_seed=seed)
    assert describe_attachments(encoded) == describe_attachments(files)
