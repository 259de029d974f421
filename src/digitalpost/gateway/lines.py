"""Mail that arrives with bare LF line endings, made into the CRLF mail it should have been.

RFC 5321 wants CRLF, but some clients (scripts, older mail programs) send bare LF, and Postfix accepts them.
aiosmtpd reads DATA by CRLF, so such a mail reaches us as one long "line" whose inner lines were dot-stuffed by
the client but not unstuffed by the server. `normalize_line_endings` undoes the stuffing of those lines and
writes CRLF, so the rest of the hub only ever sees canonical mail. Not for: MIME canonicalisation of content.
"""

from __future__ import annotations

import re

_BARE_LF = re.compile(rb"(?<!\r)\n")
# A line that began after a bare LF and starts with a dot was dot-stuffed by the client (RFC 5321 §4.5.2).
_STUFFED_AFTER_BARE_LF = re.compile(rb"(?<!\r)\n\.")


def has_bare_lf(data: bytes) -> bool:
    # Two counts in C: the look-behind search stepped through every byte in the regex engine (~5 % of the
    # gateway's CPU per mail, decision 0018).
    return data.count(b"\n") != data.count(b"\r\n")


def normalize_line_endings(data: bytes) -> bytes:
    """`data` with every bare LF made CRLF and the dot-stuffing of the lines after them undone."""
    if not has_bare_lf(data):
        return data
    return _BARE_LF.sub(b"\r\n", _STUFFED_AFTER_BARE_LF.sub(b"\n", data))
