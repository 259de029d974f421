"""DATA read to a spool file, judged on its header section as soon as that has arrived.

aiosmtpd keeps DATA as a list of lines in memory and joins them (the whole mail twice, plus an object per line)
before the hub sees a byte; a gateway of many sessions then holds many large mails at once. Here the lines go to
a spooled file (memory up to SPOOL_IN_MEMORY_BYTES, disk beyond) and the mail is read back once, whole, only
when it is complete and still acceptable. What the header section already shows is refused without keeping the
body: a mail that is not S/MIME-encrypted (`encryption.missing`, as the full check would say) and a mail larger
than DIGITALPOST_MAX_MAIL_BYTES (`message.too.large`). RFC 5321 wants the answer after the final dot, so the rest
of such a mail is still read, and dropped.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from typing import IO

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.smime.mime import parse_entity
from digitalpost.protocols.smime.read import smime_type

SPOOL_IN_MEMORY_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 1024 * 1024  # no blank line by then: judged whole, by the full check
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


def header_refusal(head: bytes) -> tuple[ErrorCode, str] | None:
    """The refusal the header section alone decides (not encrypted), or None to let the full check judge."""
    try:
        entity = parse_entity(head + b"\r\n\r\n")
    except DigitalPostError:
        return None  # malformed: the full check names it
    # A signed outer layer may wrap the encrypted one (encrypt-then-sign): only the full check can tell.
    if smime_type(entity) is None and entity.content_type != "multipart/signed":
        return ErrorCode.ENCRYPTION_MISSING, f"the mail is {entity.content_type}"
    return None


@dataclass
class DataSpool:
    """One DATA transaction: feed it the unstuffed lines, then `refusal` or `read()`."""

    max_bytes: int
    size: int = 0
    refusal: tuple[ErrorCode, str] | None = None
    # Closed by close(), which the gateway calls in a finally (the spool outlives a with-block).
    _file: IO[bytes] = field(
        default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES))  # noqa: SIM115
    _head: bytearray | None = field(default_factory=bytearray)

    def add(self, line: bytes) -> None:
        self.size += len(line)
        if self.refusal is not None:
            return
        if self.size > self.max_bytes:
            self.refusal = (ErrorCode.MESSAGE_TOO_LARGE, f"more than {self.max_bytes} bytes")
            self.close()
            return
        self._file.write(line)
        if self._head is not None:
            self._head += line
            blank = _BLANK_LINE.search(self._head)
            if blank is not None or len(self._head) > MAX_HEADER_BYTES:
                head = bytes(self._head[: blank.start()]) if blank is not None else None
                self._head = None
                if head is not None and head and (refused := header_refusal(head)) is not None:
                    self.refusal = refused
                    self.close()

    def skip(self, size: int) -> None:
        """Bytes that were read but not kept (a line longer than the reader takes): too large by definition."""
        self.size += size
        if self.refusal is None:
            self.refusal = (ErrorCode.MESSAGE_TOO_LARGE, f"more than {self.max_bytes} bytes")
            self.close()

    def read(self) -> bytes:
        self._file.seek(0)
        return self._file.read()

    def close(self) -> None:
        self._file.close()
