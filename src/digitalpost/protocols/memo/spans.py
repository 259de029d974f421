"""Where each file's base64 text lies in the bytes of a parsed MeMo, so a later reader can skip the parse.

A delivery needs the files of a MeMo that was parsed and checked when it was accepted. Parsing it again (tree,
walker, model) cost about a third of a delivery's CPU; decoding one known span of the same bytes costs
microseconds. `content_spans` finds the spans once, right after `parse`, and proves each one: its text decodes to
exactly the content the parse produced. Anything else — a file's text written with character references or in
CDATA, split by a comment — gives None, and the reader parses as before. Pure: bytes in, offsets out.
"""

from __future__ import annotations

import binascii
import re

from digitalpost.protocols.memo.compose import iter_files
from digitalpost.protocols.memo.model import Message

# A File's `content` element, with any prefix and attributes, and its text up to the next tag. Found candidates
# are only candidates: content_spans keeps a span only when it decodes to the parsed content.
_CONTENT_TEXT = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?content(?:\s[^>]*)?>([^<]*)<")

Span = tuple[int, int]


def content_spans(data: bytes, message: Message) -> tuple[Span, ...] | None:
    """(start, end) of each file's base64 text in `data`, in `iter_files` order; None when one cannot be shown.

    `message` must be what `parse(data)` returned. Each span decodes (`decode_span`) to its file's content,
    checked here byte for byte; a span may point at another element with identical text, which decodes the same.
    """
    candidates = _CONTENT_TEXT.finditer(data)
    spans: list[Span] = []
    for _where, _role, file in iter_files(message):
        for candidate in candidates:
            start, end = candidate.span(1)
            try:
                decoded = decode_span(data, (start, end))
            except binascii.Error:
                continue
            if decoded == file.content:
                spans.append((start, end))
                break
        else:
            return None
    return tuple(spans)


def decode_span(data: bytes, span: Span) -> bytes:
    """The file content whose base64 text lies at `span` of `data` (as `content_spans` found it)."""
    start, end = span
    return binascii.a2b_base64(memoryview(data)[start:end])
