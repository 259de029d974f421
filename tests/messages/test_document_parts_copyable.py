"""document_parts(copyable=True): an inquiry's file texts that are canonical base64 are marked copyable (with the
content's SHA-256), so its forward copies them; any other text is decoded as before."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from digitalpost.messages.services.documents import document_parts, encoded_files_of
from digitalpost.protocols import mail, memo

FILES = [("brev.txt", "text/plain", "Hej æøå\n".encode()), ("pas.pdf", "application/pdf", b"%PDF-1.4 pas" * 40)]


def _memo() -> bytes:
    message = memo.simple_message(sender_cvr="29190003", sender_label="Nordby Kommune", recipient_id="0505851234",
                                  label="Brev", files=FILES, created=datetime(2026, 1, 2, 12, 0, tzinfo=UTC))
    return memo.build(message)


def _parts(raw: bytes, *, copyable: bool) -> list[dict[str, Any]]:
    parts = document_parts(memo.parse(raw, max_bytes=10**7), raw, copyable=copyable)
    assert parts is not None
    return parts


def test_canonical_texts_are_copied_and_say_what_they_decode_to():
    raw = _memo()
    parts = _parts(raw, copyable=True)

    assert [part["sha256"] for part in parts] == [hashlib.sha256(content).hexdigest() for _, _, content in FILES]
    files = encoded_files_of(raw, parts)
    assert all(isinstance(content, mail.EncodedContent) for _, _, content in files)
    assert [(name, media_type, mail.content_bytes(content)) for name, media_type, content in files] == FILES
    assert all("sha256" not in part for part in _parts(raw, copyable=False))  # ingest: no hashing


def test_a_text_that_is_not_canonical_base64_is_decoded():
    raw = _memo()
    start = raw.index(b"<memo:content>", raw.index(b"pas.pdf")) + len(b"<memo:content>")
    end = raw.index(b"</memo:content>", start)
    text = raw[start:end]
    broken = raw[:start] + b"\n".join(text[i:i + 76] for i in range(0, len(text), 76)) + raw[end:]
    parts = _parts(broken, copyable=True)

    assert "sha256" in parts[0]
    assert "sha256" not in parts[1]
    assert encoded_files_of(broken, parts) == FILES  # all decoded: one file that cannot be copied is enough
