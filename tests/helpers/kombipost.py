"""Sending a KombiPost letter through the REST interface, with a printable A4 PDF as its document."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from digitalpost.protocols import memo


def a4_pdf(text: str = "Afgørelse", *, pagesize=A4) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=pagesize)
    canvas.drawString(100, 700, text)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def send(cast, recipient, *, kombi: str | None = None, files=None):
    message = cast.nordby.memo(recipient, files=files or [("brev.pdf", "application/pdf", a4_pdf())])
    query = f"?memo-message-uuid={message.header.message_uuid}" + (f"&kombi={kombi}" if kombi else "")
    return cast.nordby.client().post(f"/apis/v1/memos{query}", data=memo.build(message),
                                     content_type="application/xml")
