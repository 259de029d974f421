"""The benchmark's MeMo: a ~10 KB letter with a small real PDF, as a template with per-message placeholders.

The template holds two markers: `{{UUID}}` (the messageUUID in the MeMo header) and `{{UUID64}}` (the
base64 of the same UUID's 36 ASCII bytes). The UUID sits inside the PDF and the text attachment at a byte
offset divisible by 3, so its base64 is a self-contained 48-character run of the file's base64: swapping
that run makes every message's PDF and attachment unique bytes (as real letters are), without re-encoding
the files per request. The wrk Lua script and the paced Python client fill the markers the same way.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

from digitalpost.protocols import memo

UUID_MARK = "{{UUID}}"
B64_MARK = "{{UUID64}}"
SENTINEL = "00000000-0000-4000-8000-000000000000"
FILLER = (
    "Kaere borger. Dette bilag uddyber afgoerelsen i brevet. Vi har behandlet din sag efter reglerne i "
    "forvaltningsloven og har lagt vaegt paa de oplysninger, du har givet os. Du kan klage inden fire uger. "
)


def uuid64(message_uuid: str) -> str:
    """The 48 base64 characters of a UUID's 36 ASCII bytes (what the template's B64_MARK stands for)."""
    return base64.b64encode(message_uuid.encode("ascii")).decode("ascii")


def fill(template: bytes, message_uuid: str) -> bytes:
    return template.replace(UUID_MARK.encode(), message_uuid.encode()).replace(
        B64_MARK.encode(), uuid64(message_uuid).encode()
    )


def pdf_bytes(ref: str) -> bytes:
    """A minimal valid one-page PDF (correct xref offsets) with `ref` in a comment at an offset divisible by 3."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n%")
    while len(out) % 3:
        out += b" "
    out += ref.encode("ascii") + b"\n"
    return pdf_after(out, b"BT /F1 18 Tf 72 770 Td (Digital Post benchmark letter) Tj 0 -28 Td (Nordby Kommune) Tj ET")


def pdf_after(head: bytearray, text: bytes) -> bytes:
    """`head` (the %PDF line and any comments) followed by one page showing `text`, with a correct xref."""
    out = head
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _attachment(ref: str, size: int) -> bytes:
    head = ref.encode("ascii") + b"\n"  # offset 0: divisible by 3
    body = (FILLER * (size // len(FILLER) + 1)).encode("ascii")
    return head + body[: max(size - len(head), 1)]


def _build(*, cvr: str, sender_label: str, cpr: str, attachment_size: int) -> bytes:
    letter = memo.simple_message(
        sender_cvr=cvr, sender_label=sender_label, recipient_id=cpr,
        label="Afgoerelse om boligstoette (benchmark)",
        files=[("afgoerelse.pdf", "application/pdf", pdf_bytes(SENTINEL)),
               ("bilag.txt", "text/plain", _attachment(SENTINEL, attachment_size))],
        message_uuid=SENTINEL, created=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    )
    return memo.build(letter)


def memo_template(*, cvr: str, sender_label: str, cpr: str, target_bytes: int = 10_240,
                  unique_files: bool = True) -> bytes:
    """The MeMo template of about `target_bytes`, with UUID_MARK once and (if unique_files) B64_MARK twice."""
    size = 64
    for _ in range(4):  # base64 makes the attachment 4/3 larger: converge on the target size
        data = _build(cvr=cvr, sender_label=sender_label, cpr=cpr, attachment_size=size)
        size = max(size + (target_bytes - len(data)) * 3 // 4, 64)
    data = _build(cvr=cvr, sender_label=sender_label, cpr=cpr, attachment_size=size)
    text = data.decode("utf-8")
    if text.count(SENTINEL) != 1 or text.count(uuid64(SENTINEL)) != 2:
        raise RuntimeError("benchmark MeMo template: UUID placeholders not where expected")
    text = text.replace(SENTINEL, UUID_MARK)
    if unique_files:
        text = text.replace(uuid64(SENTINEL), B64_MARK)
    template = text.encode("utf-8")
    _self_check(template)
    return template


def _self_check(template: bytes) -> None:
    """The filled template parses, carries the UUID in the header and in both files, and holds a PDF."""
    probe = str(uuid.uuid4())
    parsed = memo.parse(fill(template, probe), max_bytes=len(template) + 1024)
    if parsed.header.message_uuid != probe:
        raise RuntimeError("benchmark MeMo template: header UUID not substituted")
    files = [file for _, _, file in memo.iter_files(parsed)]
    if not files[0].content.startswith(b"%PDF-1.4") or not files[0].content.rstrip().endswith(b"%%EOF"):
        raise RuntimeError("benchmark MeMo template: main document is not a PDF")
    if B64_MARK.encode() in template and not all(probe.encode() in file.content for file in files):
        raise RuntimeError("benchmark MeMo template: file UUID not substituted")
