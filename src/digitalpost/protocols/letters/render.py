"""A letter as a printable PDF: a cover page with the address in the envelope window, then the documents.

The cover page carries the recipient's name and address inside `window.ADDRESS_WINDOW` (with the sender's
return line above it, as Danish post expects), the sender block and date outside the window, the message's
title and the letter id the print provider reports back. The letter is a new qpdf document (pikepdf): the cover
is drawn into it with PDF text instructions in standard fonts (a reportlab document per letter cost as much CPU as
the rest of the letter), except when a line has a character outside WinAnsi, which reportlab's font
substitution draws; then the documents' pages are appended unchanged (qpdf: three times faster than pypdf; a file
qpdf cannot open, which the pypdf-based check_printable accepted, is merged with pypdf instead); plain text and
simple HTML are typeset (reportlab). Bytes in, bytes out. Not for: checking documents (printable.py — call it
first) or batching.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast
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


@dataclass(frozen=True, slots=True)
class _Run:
    """One line of text on the cover: where it starts (points from the bottom-left corner), in which font."""

    font: str  # a standard PDF font: Helvetica or Helvetica-Bold
    size: float
    x: float
    y: float
    text: str


def _cover_runs(letter: Letter) -> list[_Run]:
    """What the cover says and where: the one layout both ways of drawing it (_cover_page, _cover) follow."""
    lines = letter.recipient.window_lines()
    if len(lines) > MAX_ADDRESS_LINES:  # keep the postcode line: sorting machines read the last line
        lines = [*lines[: MAX_ADDRESS_LINES - 1], lines[-1]]
    left = (ADDRESS_WINDOW.left + 2) * mm  # a margin inside the window, so paper shifting in the envelope hides nothing
    runs = [_Run("Helvetica", RETURN_FONT_SIZE, left, pdf_y(ADDRESS_WINDOW.top + 3),
                 letter.sender.return_line()[:95])]
    runs += [_Run("Helvetica", ADDRESS_FONT_SIZE, left, pdf_y(ADDRESS_WINDOW.top + 8 + number * ADDRESS_LEADING),
                  line[:48]) for number, line in enumerate(lines)]
    sender_top = SENDER_BLOCK.top + 4
    runs.append(_Run("Helvetica-Bold", 10, SENDER_BLOCK.left * mm, pdf_y(sender_top), letter.sender.name))
    runs += [_Run("Helvetica", 9, SENDER_BLOCK.left * mm, pdf_y(sender_top + number * 4.2), line)
             for number, line in enumerate([*letter.sender.address_lines, f"CVR {letter.sender.cvr}",
                                            f"Dato: {letter.sent_on:%d.%m.%Y}"], start=1)]
    runs += [
        _Run("Helvetica-Bold", 14, ADDRESS_WINDOW.left * mm, pdf_y(100), letter.title[:70]),
        _Run("Helvetica", 10, ADDRESS_WINDOW.left * mm, pdf_y(110),
             "Du får dette brev på papir, fordi du ikke modtager Digital Post fra os."),
        _Run("Helvetica", 7, ADDRESS_WINDOW.left * mm, pdf_y(287), f"Brev-id {letter.letter_id}"),
    ]
    return runs


# The cover's fonts as reportlab declares them: two of the 14 standard fonts (never embedded), WinAnsi-encoded.
_COVER_FONTS = {"Helvetica": pikepdf.Name("/F1"), "Helvetica-Bold": pikepdf.Name("/F2")}
_COVER_ENCODING = "cp1252"  # PDF's WinAnsiEncoding
_BEGIN_TEXT, _SET_FONT, _SET_TEXT_MATRIX, _SHOW_TEXT, _END_TEXT = (
    pikepdf.Operator(name) for name in ("BT", "Tf", "Tm", "Tj", "ET"))


def _cover_page(pdf: pikepdf.Pdf, runs: list[_Run]) -> pikepdf.Page | None:
    """The cover as a page of `pdf`, its text drawn with pikepdf's content-stream builder; None when a line has a
    character outside WinAnsi (a name in another script), which only reportlab's font substitution can show.

    The common case's way: a reportlab document per letter cost as much CPU as the rest of the letter together.
    """
    try:
        encoded = [run.text.encode(_COVER_ENCODING) for run in runs]
    except UnicodeEncodeError:
        return None
    # Operands as Python numbers, Names and Strings: pikepdf converts them (its annotations ask for Objects).
    content: list[tuple[list[Any], pikepdf.Operator]] = [
        instruction for run, text in zip(runs, encoded, strict=True) for instruction in (
            ([], _BEGIN_TEXT),
            ([_COVER_FONTS[run.font], run.size], _SET_FONT),
            ([1, 0, 0, 1, round(run.x, 3), round(run.y, 3)], _SET_TEXT_MATRIX),
            ([pikepdf.String(text)], _SHOW_TEXT),
            ([], _END_TEXT),
        )]
    fonts = pikepdf.Dictionary({
        str(name): pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                      BaseFont=pikepdf.Name("/" + font), Encoding=pikepdf.Name.WinAnsiEncoding)
        for font, name in _COVER_FONTS.items()})
    return pikepdf.Page(pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, round(A4[0], 4), round(A4[1], 4)],
        Resources=pikepdf.Dictionary(Font=fonts, ProcSet=[pikepdf.Name.PDF, pikepdf.Name.Text]),
        Contents=pdf.make_stream(zlib.compress(pikepdf.unparse_content_stream(cast(Any, content))),
                                 Filter=pikepdf.Name.FlateDecode)))


def _cover(letter: Letter) -> bytes:
    """The cover as a reportlab document, for what _cover_page cannot draw (or qpdf cannot merge)."""
    out = io.BytesIO()
    page = Canvas(out, pagesize=A4, pageCompression=1)
    page.setTitle(letter.title)
    page.setAuthor(letter.sender.name)
    for run in _cover_runs(letter):
        page.setFont(run.font, run.size)
        page.drawString(run.x, run.y, run.text)
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
    documents = [_document_pdf(d) for d in letter.documents]
    try:
        return _merge(letter, documents)
    except pikepdf.PdfError:
        return _merge_with_pypdf([_cover(letter), *documents], title=letter.title, author=letter.sender.name)


def _merge(letter: Letter, documents: list[bytes]) -> RenderedLetter:
    """The cover, then the documents' pages in order, in a new document; streams are copied as they are (no
    recompression)."""
    runs = _cover_runs(letter)
    merged = pikepdf.new()
    opened: list[pikepdf.Pdf] = []
    try:
        cover = _cover_page(merged, runs)
        if cover is None:  # drawn by reportlab: its own document, whose page is copied like a document's
            opened.append(pikepdf.open(io.BytesIO(_cover(letter))))
            merged.pages.extend(opened[-1].pages)
        else:
            merged.pages.append(cover)
        for document in documents:
            opened.append(pikepdf.open(io.BytesIO(document)))
            merged.pages.extend(opened[-1].pages)  # copies the foreign objects; the source stays open until saved
        merged.trailer.Info = merged.make_indirect(pikepdf.Dictionary(Title=letter.title, Author=letter.sender.name))
        out = io.BytesIO()
        merged.save(out, compress_streams=False, min_version="1.4")  # as the reportlab cover document said
        return RenderedLetter(pdf=out.getvalue(), pages=len(merged.pages))
    finally:
        for part in opened:
            part.close()
        merged.close()


def _merge_with_pypdf(parts: list[bytes], *, title: str, author: str) -> RenderedLetter:
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    writer.add_metadata({"/Title": title, "/Author": author})
    out = io.BytesIO()
    writer.write(out)
    return RenderedLetter(pdf=out.getvalue(), pages=len(writer.pages))
