"""base64Binary content: only the canonical form is valid (the unused bits of a padded last group are zero), and
whitespace between groups is allowed (XSD's collapse)."""

import itertools
import os
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitalpost.protocols import memo
from digitalpost.protocols.memo import values


@pytest.mark.parametrize(("text", "data"), [("", b""), ("QQ==", b"A"), ("QUI=", b"AB"), ("QUJD", b"ABC"),
                                            ("QUJD\n  QUJD\r\nQQ==", b"ABCABCA")])
def test_canonical_base64_is_read(text, data):
    assert values._read_base64(text) == data


@pytest.mark.parametrize("text", ["QR==", "QUJ=", "QUJDQR==", "QUJ", "QU=D", "Q!=="])
def test_stray_bits_and_broken_groups_are_refused(text):
    with pytest.raises(values.BadValue):
        values._read_base64(text)


# Line breaks leave base64 in one pass of bytes.translate (values.without_whitespace): exactly XML's four whitespace
# characters, never another (a vertical tab, a no-break space or a line separator stays, and base64 refuses it).

@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("QUJD=+/ \t\r\n\x0b\x0c\x1c\x85\xa0\u2028\u3000é"), max_size=40))
def test_only_xml_whitespace_is_taken_out_of_base64(text):
    assert values.without_whitespace(text) == re.sub(r"[ \t\r\n]+", "", text)


@pytest.mark.parametrize("space", ["\x0b", "\x0c", "\x1c", "\x85", "\xa0", "\u2028", "\u3000"])
def test_base64_with_whitespace_that_is_not_xml_whitespace_is_refused(space):
    with pytest.raises(values.BadValue):
        values._read_base64(f"QUJD{space}QUJD")
    with pytest.raises(values.BadValue):
        _streamed(f"QUJD{space}QUJD", [3, 5], 1000)


# The parser decodes a document's text as it arrives (values.Base64Stream), a piece at a time: it must accept and
# refuse exactly what the whole-text rule does, wherever the pieces are cut.

def _outcome(read):
    try:
        return read()
    except values.BadValue as bad:
        return ("refused", str(bad))


def _streamed(text: str, cuts: list[int], batch: int) -> bytes:
    stream = values.Base64Stream()
    stream._BATCH_CHARS = batch
    bounds = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    for start, end in itertools.pairwise(bounds):
        stream.feed(text[start:end])
    return stream.result()


@pytest.mark.parametrize(("text", "data"), [("", b""), ("QQ==", b"A"), ("QUI=", b"AB"), ("QUJD", b"ABC"),
                                            ("QUJD\n  QUJD\r\nQQ==", b"ABCABCA"), ("QU\nJ\nD\nQQ\n=\n=", b"ABCA")])
def test_the_streamed_reading_reads_canonical_base64_in_any_pieces(text, data):
    for batch in (1, 3, 1000):
        assert _streamed(text, list(range(len(text))), batch) == data


@pytest.mark.parametrize("text", ["QR==", "QUJ=", "QUJDQR==", "QUJ", "QU=D", "Q!==", "QQ===", "QQ==QQ==", "====",
                                  "QUJD=", "QQ=\n=\n="])
def test_the_streamed_reading_refuses_what_the_rule_refuses(text):
    for batch in (1, 2, 1000):
        with pytest.raises(values.BadValue):
            _streamed(text, list(range(len(text))), batch)


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet="QUJDRSTabc019+/= \n", max_size=40), cuts=st.lists(st.integers(0, 40), max_size=8),
       batch=st.integers(1, 12))
def test_the_streamed_reading_agrees_with_the_whole_text_rule(text, cuts, batch):
    assert _outcome(lambda: _streamed(text, cuts, batch)) == _outcome(lambda: values._read_base64(text))


def _large_memo(document: bytes) -> bytes:
    message = memo.simple_message(sender_cvr="29190003", sender_label="Nordby Kommune", recipient_id="0505851234",
                                  label="Stort brev", files=[("brev.pdf", "application/pdf", document)],
                                  created=datetime(2026, 1, 2, 12, 0, tzinfo=UTC))
    return memo.build(message)


def test_a_large_document_is_read_through_the_streamed_decoder_as_it_was_written():
    document = os.urandom(3 * 1024 * 1024)  # several batches of the decoder and feeds of the parser
    [(_, _, file)] = list(memo.iter_files(memo.parse(_large_memo(document), max_bytes=10**8)))
    assert file.content == document


def test_a_damaged_large_document_is_refused_with_its_place():
    data = bytearray(_large_memo(os.urandom(1024 * 1024)))
    middle = data.index(b"<memo:content>") + 700_000
    data[middle:middle + 1] = b"!"
    with pytest.raises(memo.MemoRejected) as refused:
        memo.parse(bytes(data), max_bytes=10**8)
    [problem] = refused.value.problems
    assert problem.where == "/Message/MessageBody/MainDocument/File[1]/content"
    assert "not valid base64" in problem.text


def test_an_element_inside_a_document_is_refused_as_before():
    data = _large_memo(b"%PDF-1.4 small").replace(b"<memo:content>", b"<memo:content><memo:x/>", 1)
    with pytest.raises(memo.MemoRejected) as refused:
        memo.parse(data, max_bytes=10**8)
    assert any("must contain only text" in p.text for p in refused.value.problems)
