"""Whether a document can be put on paper: the check a message must pass before it may become a letter.

Print providers take unencrypted A4 PDFs; plain text and simple HTML the hub typesets itself. Anything else
(an encrypted or damaged PDF, pages of another size, an image or office file) is refused at submit with
`document.not.printable`, so a letter never fails silently at the printer. Not for: rendering.
"""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.letters.window import A4_HEIGHT_MM, A4_WIDTH_MM, MM_TO_PT

TEXT_TYPES = frozenset({"text/plain", "text/html"})
PDF_TYPE = "application/pdf"
A4_TOLERANCE_PT = 3.0  # ~1 mm: PDFs from office programs round A4 differently

# pypdf logs every repairable oddity of a damaged file; the refusal already says what is wrong.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def _refuse(filename: str, why: str) -> DigitalPostError:
    return DigitalPostError(ErrorCode.DOCUMENT_NOT_PRINTABLE, f"{filename}: {why}")


def _is_a4(width: float, height: float) -> bool:
    a4 = (A4_WIDTH_MM * MM_TO_PT, A4_HEIGHT_MM * MM_TO_PT)
    return any(abs(width - w) <= A4_TOLERANCE_PT and abs(height - h) <= A4_TOLERANCE_PT for w, h in (a4, a4[::-1]))


def pdf_page_count(filename: str, data: bytes) -> int:
    """Pages of a printable PDF; raises `document.not.printable` naming the first problem."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse(filename, "the PDF is encrypted (password-protected); send it unencrypted")
        pages = list(reader.pages)
        if not pages:
            raise _refuse(filename, "the PDF has no pages")
        for number, page in enumerate(pages, start=1):
            box = page.mediabox
            if not _is_a4(float(box.width), float(box.height)):
                raise _refuse(filename, f"page {number} is {float(box.width) / MM_TO_PT:.0f} × "
                                        f"{float(box.height) / MM_TO_PT:.0f} mm, not A4 (210 × 297 mm)")
        return len(pages)
    except DigitalPostError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise _refuse(filename, f"the PDF is damaged and cannot be read ({type(exc).__name__})") from None


def check_printable(filename: str, media_type: str, data: bytes) -> None:
    """Refuse (DigitalPostError document.not.printable) a document that cannot become part of a letter."""
    kind = media_type.split(";")[0].strip().lower()
    if kind == PDF_TYPE:
        pdf_page_count(filename, data)
        return
    if kind in TEXT_TYPES:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise _refuse(filename, "the text is not UTF-8") from None
        return
    raise _refuse(filename, f"documents of type {kind} have no paper form; send a PDF, plain text or HTML")
