"""PDF letters for the print fallback: what can be printed, the letter with the address in the window, batches.

`check_printable` refuses documents with no paper form; `render_letter` builds the letter PDF (qpdf via pikepdf
for the cover and to pass PDFs through, reportlab to typeset text); `window` holds the envelope geometry; `batch`
the manifest and the print receipts. Pure: bytes in, bytes out, no Django, no files.
"""

from digitalpost.protocols.letters.batch import (
    MANIFEST_NAME,
    BatchLetter,
    PrintReceipt,
    PrintStatus,
    ReceiptFile,
    build_manifest,
    read_print_receipts,
)
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
    "ADDRESS_WINDOW",
    "MANIFEST_NAME",
    "MAX_ADDRESS_LINES",
    "BatchLetter",
    "Box",
    "Letter",
    "LetterDocument",
    "PostalAddress",
    "PrintReceipt",
    "PrintStatus",
    "ReceiptFile",
    "RenderedLetter",
    "SenderBlock",
    "build_manifest",
    "check_printable",
    "pdf_page_count",
    "read_print_receipts",
    "render_letter",
    "top_mm",
]
