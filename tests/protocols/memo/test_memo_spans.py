"""content_spans: where each file's base64 text lies in a MeMo's bytes, proven by decoding it to the parsed content."""

from datetime import UTC, datetime

import pytest

from digitalpost.core.errors import ErrorCode
from digitalpost.protocols import memo

FILES = [("brev.pdf", "application/pdf", b"%PDF-1.4 brev" * 40), ("bilag.txt", "text/plain", "bilag æøå".encode()),
         ("tom.txt", "text/plain", b"")]


def _letter(files=FILES) -> bytes:
    message = memo.simple_message(sender_cvr="29190003", sender_label="Nordby Kommune", recipient_id="0505851234",
                                  label="Brev", files=files, created=datetime(2026, 1, 2, 12, 0, tzinfo=UTC))
    return memo.build(message)


def _decoded(data: bytes) -> list[bytes] | None:
    spans = memo.content_spans(data, memo.parse(data, max_bytes=10**7))
    return None if spans is None else [memo.decode_span(data, span) for span in spans]


def test_each_span_decodes_to_its_file_in_document_order():
    assert _decoded(_letter()) == [content for _, _, content in FILES]


def test_a_decoy_content_element_in_a_comment_is_passed_over():
    data = _letter().replace(b"<memo:MessageBody", b"<!-- <memo:content>QUJD</memo:content> --><memo:MessageBody", 1)
    assert _decoded(data) == [content for _, _, content in FILES]


def test_the_default_namespace_and_line_broken_base64_are_found():
    data = _letter().replace(b"memo:", b"").replace(b"xmlns:memo=", b"xmlns=")
    content = FILES[0][2]
    start = data.index(b"<content>") + len(b"<content>")
    end = data.index(b"</content>", start)
    text = data[start:end]
    data = data[:start] + b"\n".join(text[i:i + 76] for i in range(0, len(text), 76)) + data[end:]
    assert _decoded(data) == [content, *(c for _, _, c in FILES[1:])]


def test_text_that_is_not_plain_in_the_bytes_gives_no_spans():
    data = _letter()
    start = data.index(b"<memo:content>") + len(b"<memo:content>")
    end = data.index(b"</memo:content>", start)
    cdata = data[:start] + b"<![CDATA[" + data[start:end] + b"]]>" + data[end:]
    reference = data[:start] + b"&#" + str(data[start]).encode() + b";" + data[start + 1:]
    for changed in (cdata, reference):
        first = next(memo.iter_files(memo.parse(changed, max_bytes=10**7)))
        assert first[2].content == FILES[0][2]
        assert _decoded(changed) is None


def test_a_message_without_files_has_no_spans_to_find():
    assert _decoded(_letter(files=[])) == []


def test_parse_header_reads_the_header_as_parse_does():
    data = _letter()

    assert memo.parse_header(data, max_bytes=10**7) == memo.parse(data, max_bytes=10**7).header


def test_parse_header_refuses_a_broken_header_and_an_oversized_message():
    data = _letter()
    broken = data.replace(b"<memo:label>Brev</memo:label>", b"<memo:label>Brev</memo:label><memo:bogus/>", 1)

    with pytest.raises(memo.MemoRejected) as invalid:
        memo.parse_header(broken, max_bytes=10**7)
    with pytest.raises(memo.MemoRejected) as too_large:
        memo.parse_header(data, max_bytes=100)

    assert invalid.value.problems[0].code is ErrorCode.MEMO_INVALID
    assert "bogus" in invalid.value.problems[0].where
    assert too_large.value.problems[0].code is ErrorCode.MEMO_TOO_LARGE


def test_parse_header_reads_no_further_than_the_header():
    data = _letter()
    end = data.index(b"</memo:MessageHeader>") + len(b"</memo:MessageHeader>")
    cut_off = data[:end] + b"<memo:MessageBody><unclosed & not XML"  # parse would refuse it

    assert memo.parse_header(cut_off, max_bytes=10**7) == memo.parse(data, max_bytes=10**7).header


def test_parse_header_passes_over_a_header_end_that_is_not_the_header_s_and_other_namespaces():
    data = _letter()
    header = memo.parse(data, max_bytes=10**7).header
    in_comment = data.replace(b"<memo:MessageHeader>", b"<!-- </memo:MessageHeader> --><memo:MessageHeader>", 1)
    in_cdata = data.replace(b"<memo:label>Brev</memo:label>",
                            b"<memo:label><![CDATA[Brev]]></memo:label><!--x--><![CDATA[</memo:MessageHeader>]]>", 1)
    default_namespace = data.replace(b"memo:", b"").replace(b"xmlns:memo=", b"xmlns=")
    foreign = data.replace(b"</memo:MessageHeader>", b"<x:MessageHeader xmlns:x='urn:x'/></memo:MessageHeader>", 1)

    assert memo.parse_header(in_comment, max_bytes=10**7) == header
    assert memo.parse_header(default_namespace, max_bytes=10**7) == header
    for wrong in (in_cdata, foreign):  # text where the header has none, a foreign element: refused as parse does
        with pytest.raises(memo.MemoRejected) as refused:
            memo.parse_header(wrong, max_bytes=10**7)
        with pytest.raises(memo.MemoRejected) as parsed:
            memo.parse(wrong, max_bytes=10**7)
        assert refused.value.problems == parsed.value.problems


def test_parse_header_refuses_a_dtd():
    data = _letter()
    with_dtd = data.replace(b"<memo:Message", b'<!DOCTYPE m [<!ENTITY e "x">]><memo:Message', 1)

    with pytest.raises(memo.MemoRejected) as refused:
        memo.parse_header(with_dtd, max_bytes=10**7)
    assert "DTD" in refused.value.problems[0].text
