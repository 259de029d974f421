"""A letter as a printable PDF: a cover page with the address in the envelope window, then the documents.

The cover page carries the recipient's name and address inside `window.ADDRESS_WINDOW` (with the sender's
return line above it, as Danish post expects), the sender block and date outside the window, the message's
title and the letter id the print provider reports back. PDFs are appended page by page unchanged (qpdf through
pikepdf: three times faster than pypdf, and the merge is most of a letter's cost; a file qpdf cannot open, which
the pypdf-based check_printable accepted, is merged with pypdf instead); plain text and simple HTML are typeset
(reportlab). Bytes in, bytes out. Not for: checking documents (printable.py — call it first) or batching.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

import pikepdf
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate

from digitalpost.protocols.letters.printable import PDF_TYPE
from digitalpost.protocols.letters.window import ADDRESS_WINDOW, MAX_ADDRESS_LINES, SENDER_BLOCK, pdf_y
from digitalpost.protocols.mail import html_to_text

ADDRESS_FONT_SIZE = 10
ADDRESS_LEADING = 4.2  # mm between address lines
RETURN_FONT_SIZE = 6.5


@dataclass(frozen=True, slots=True)
class PostalAddress:
    """The recipient as it must appear in the window: name first, then the address lines, postcode and town."""

    name: str
    lines: tuple[str, ...]  # street and number, floor, c/o … (without postcode and town)
    postal_code: str
    city: str
    country: str = ""  # empty for Denmark

    def window_lines(self) -> list[str]:
        found = [self.name, *[line for line in self.lines if line.strip()], f"{self.postal_code} {self.city}".strip()]
        if self.country:
            found.append(self.country.upper())
        return found


@dataclass(frozen=True, slots=True)
class SenderBlock:
    name: str
    address_lines: tuple[str, ...]
    cvr: str

    def return_line(self) -> str:
        """The one-line return address printed above the recipient ("Afsender: …")."""
        return "Afsender: " + ", ".join([self.name, *self.address_lines])


@dataclass(frozen=True, slots=True)
class LetterDocument:
    filename: str
    media_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Letter:
    letter_id: str  # printed on the cover; the print provider's receipts name it
    recipient: PostalAddress
    sender: SenderBlock
    title: str
    sent_on: date
    documents: Sequence[LetterDocument]


@dataclass(frozen=True, slots=True)
class RenderedLetter:
    pdf: bytes
    pages: int


def _cover(letter: Letter) -> bytes:
    out = io.BytesIO()
    page = Canvas(out, pagesize=A4, pageCompression=1)
    page.setTitle(letter.title)
    page.setAuthor(letter.sender.name)
    lines = letter.recipient.window_lines()
    if len(lines) > MAX_ADDRESS_LINES:  # keep the postcode line: sorting machines read the last line
        lines = [*lines[: MAX_ADDRESS_LINES - 1], lines[-1]]
    left = (ADDRESS_WINDOW.left + 2) * mm  # a margin inside the window, so paper shifting in the envelope hides nothing
    page.setFont("Helvetica", RETURN_FONT_SIZE)
    page.drawString(left, pdf_y(ADDRESS_WINDOW.top + 3), letter.sender.return_line()[:95])
    page.setFont("Helvetica", ADDRESS_FONT_SIZE)
    for number, line in enumerate(lines):
        page.drawString(left, pdf_y(ADDRESS_WINDOW.top + 8 + number * ADDRESS_LEADING), line[:48])
    page.setFont("Helvetica-Bold", 10)
    sender_top = SENDER_BLOCK.top + 4
    page.drawString(SENDER_BLOCK.left * mm, pdf_y(sender_top), letter.sender.name)
    page.setFont("Helvetica", 9)
    for number, line in enumerate([*letter.sender.address_lines, f"CVR {letter.sender.cvr}",
                                   f"Dato: {letter.sent_on:%d.%m.%Y}"], start=1):
        page.drawString(SENDER_BLOCK.left * mm, pdf_y(sender_top + number * 4.2), line)
    page.setFont("Helvetica-Bold", 14)
    page.drawString(ADDRESS_WINDOW.left * mm, pdf_y(100), letter.title[:70])
    page.setFont("Helvetica", 10)
    page.drawString(ADDRESS_WINDOW.left * mm, pdf_y(110),
                    "Du får dette brev på papir, fordi du ikke modtager Digital Post fra os.")
    page.setFont("Helvetica", 7)
    page.drawString(ADDRESS_WINDOW.left * mm, pdf_y(287), f"Brev-id {letter.letter_id}")
    page.showPage()
    page.save()
    return out.getvalue()


def _typeset(filename: str, text: str) -> bytes:
    out = io.BytesIO()
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=14)
    heading = ParagraphStyle("heading", fontName="Helvetica-Bold", fontSize=11, leading=16, spaceAfter=6)
    story = [Paragraph(escape(filename), heading)]
    story += [Paragraph(escape(block).replace("\n", "<br/>"), body) for block in text.split("\n\n") if block.strip()]
    SimpleDocTemplate(out, pagesize=A4, leftMargin=25 * mm, rightMargin=20 * mm, topMargin=25 * mm,
                      bottomMargin=25 * mm, title=filename).build(story)
    return out.getvalue()


def _document_pdf(document: LetterDocument) -> bytes:
    kind = document.media_type.split(";")[0].strip().lower()
    if kind == PDF_TYPE:
        return document.data
    text = document.data.decode("utf-8")
    return _typeset(document.filename, html_to_text(text) if kind == "text/html" else text)


def render_letter(letter: Letter) -> RenderedLetter:
    """The whole letter as one PDF (documents must have passed printable.check_printable)."""
    parts = [_cover(letter), *(_document_pdf(d) for d in letter.documents)]
    try:
        return _merge(parts, title=letter.title, author=letter.sender.name)
    except pikepdf.PdfError:
        return _merge_with_pypdf(parts, title=letter.title, author=letter.sender.name)


def _merge(parts: list[bytes], *, title: str, author: str) -> RenderedLetter:
    """The parts' pages in order, in the cover's document; streams are copied as they are (no recompression)."""
    opened = [pikepdf.open(io.BytesIO(part)) for part in parts]
    try:
        letter = opened[0]
        for part in opened[1:]:
            letter.pages.extend(part.pages)  # copies the foreign objects; the source stays open until saved
        letter.docinfo[pikepdf.Name.Title] = title
        letter.docinfo[pikepdf.Name.Author] = author
        out = io.BytesIO()
        letter.save(out, compress_streams=False)
        return RenderedLetter(pdf=out.getvalue(), pages=len(letter.pages))
    finally:
        for part in opened:
            part.close()


def _merge_with_pypdf(parts: list[bytes], *, title: str, author: str) -> RenderedLetter:
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    writer.add_metadata({"/Title": title, "/Author": author})
    out = io.BytesIO()
    writer.write(out)
    return RenderedLetter(pdf=out.getvalue(), pages=len(writer.pages))
