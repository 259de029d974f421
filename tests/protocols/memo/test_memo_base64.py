"""base64Binary content: only the canonical form is valid (the unused bits of a padded last group are zero), and
whitespace between groups is allowed (XSD's collapse)."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitalpost.protocols.memo import values


@pytest.mark.parametrize(("text", "data"), [("", b""), ("QQ==", b"A"), ("QUI=", b"AB"), ("QUJD", b"ABC"),
                                            ("QUJD\n  QUJD\r\nQQ==", b"ABCABCA")])
def test_canonical_base64_is_read(text, data):
    assert values._read_base64(text) == data


@pytest.mark.parametrize("text", ["QR==", "QUJ=", "QUJDQR==", "QUJ", "QU=D", "Q!=="])
def test_stray_bits_and_broken_groups_are_refused(text):
    with pytest.raises(values.BadValue):
        values._read_base64(text)


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
