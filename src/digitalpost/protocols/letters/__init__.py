"""PDF letters for the print fallback: what can be printed, the letter with the address in the window, batches.

`check_printable` refuses documents with no paper form; `render_letter` builds the letter PDF (reportlab for
the cover and text, pypdf to pass PDFs through); `window` holds the envelope geometry. Pure: bytes in, bytes
out, no Django, no files.
"""

from digitalpost.protocols.letters.printable import check_printable, pdf_page_count
from digitalpost.protocols.letters.render import (
    Letter,
    LetterDocument,
    PostalAddress,
    RenderedLetter,
    SenderBlock,
    render_letter,
)
from digitalpost.protocols.letters.window import ADDRESS_WINDOW, MAX_ADDRESS_LINES, Box, top_mm

__all__ = [
    "ADDRESS_WINDOW", "MAX_ADDRESS_LINES", "Box", "Letter", "LetterDocument", "PostalAddress", "RenderedLetter",
    "SenderBlock", "check_printable", "pdf_page_count", "render_letter", "top_mm",
]
