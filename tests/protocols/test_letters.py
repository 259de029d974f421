"""Print letters: the address lands in the envelope window, documents pass through, unprintable ones are refused."""

from __future__ import annotations

import io
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.pdfgen.canvas import Canvas

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.letters import (
    ADDRESS_WINDOW,
    Letter,
    LetterDocument,
    PostalAddress,
    SenderBlock,
    check_printable,
    render_letter,
)
from helpers.letters import text_positions

BENT = PostalAddress(name="Bent Bertelsen", lines=("Åboulevarden 12, 3. tv.",), postal_code="8000", city="Aarhus C")
NORDBY = SenderBlock(name="Nordby Kommune", address_lines=("Rådhuspladsen 1", "9999 Nordby"), cvr="29190003")


def pdf(text: str, *, pagesize=A4, pages: int = 1) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=pagesize)
    for number in range(pages):
        canvas.drawString(100, 700, f"{text} {number + 1}")
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def letter(*documents: LetterDocument, recipient: PostalAddress = BENT) -> Letter:
    return Letter(letter_id="L-0001", recipient=recipient, sender=NORDBY, title="Afgørelse om byggetilladelse",
                  sent_on=date(2026, 11, 27), documents=documents)


def test_the_recipients_name_and_address_sit_inside_the_envelope_window():
    rendered = render_letter(letter(LetterDocument("afgoerelse.pdf", "application/pdf", pdf("Afgørelse"))))
    cover = PdfReader(io.BytesIO(rendered.pdf)).pages[0]
    positions = {text: (x, y) for text, x, y in text_positions(cover)}
    for line in ("Bent Bertelsen", "Åboulevarden 12, 3. tv.", "8000 Aarhus C"):
        x, y = positions[line]
        assert ADDRESS_WINDOW.contains(x, y), (line, x, y)
    # the return address is in the window too (above the name); the sender block is not
    assert any(text.startswith("Afsender: Nordby Kommune") and ADDRESS_WINDOW.contains(x, y)
               for text, (x, y) in positions.items())
    x, y = positions["CVR 29190003"]
    assert not ADDRESS_WINDOW.contains(x, y)
    assert "Brev-id L-0001" in positions


def test_too_many_address_lines_keep_the_postcode_line_in_the_window():
    crowded = PostalAddress(name="Carl Christensen", lines=("c/o Dorte", "Lange Allé 7", "2. sal", "Opgang B",
                                                             "Baghuset"), postal_code="5000", city="Odense C")
    cover = PdfReader(io.BytesIO(render_letter(letter(recipient=crowded)).pdf)).pages[0]
    positions = {text: (x, y) for text, x, y in text_positions(cover)}
    assert ADDRESS_WINDOW.contains(*positions["5000 Odense C"])
    assert "Baghuset" not in positions


def test_a_name_outside_winansi_is_drawn_by_reportlab_with_every_line_where_the_common_case_puts_it():
    # Covers are drawn straight into the letter (pikepdf) when every line is WinAnsi text; a name in another
    # script goes through reportlab's font substitution instead. Both must follow the same layout.
    polish = PostalAddress(name="Łukasz Wiśniewski", lines=BENT.lines, postal_code=BENT.postal_code, city=BENT.city)
    common, substituted = (
        {text: (x, y) for text, x, y in text_positions(PdfReader(io.BytesIO(render_letter(letter(
            LetterDocument("afgoerelse.pdf", "application/pdf", pdf("Afgørelse")), recipient=who)).pdf)).pages[0])}
        for who in (BENT, polish))
    assert "Bent Bertelsen" in common
    assert not any("Bent" in text for text in substituted)
    assert any("ukasz" in text and ADDRESS_WINDOW.contains(x, y) for text, (x, y) in substituted.items())
    for line in ("Åboulevarden 12, 3. tv.", "8000 Aarhus C", "CVR 29190003", "Brev-id L-0001"):
        assert substituted[line] == pytest.approx(common[line], abs=0.01), line


def test_pdfs_pass_through_and_text_and_html_are_typeset():
    rendered = render_letter(letter(
        LetterDocument("bilag.pdf", "application/pdf", pdf("Bilag side", pages=2)),
        LetterDocument("vejledning.txt", "text/plain", b"Klagevejledning\n\nDu kan klage inden 4 uger."),
        LetterDocument("info.html", "text/html; charset=utf-8", b"<p>Se <b>mere</b> p\xc3\xa5 nordby.dk</p>"),
    ))
    reader = PdfReader(io.BytesIO(rendered.pdf))
    assert rendered.pages == len(reader.pages) == 1 + 2 + 1 + 1
    texts = [page.extract_text() for page in reader.pages]
    assert "Bilag side 1" in texts[1]
    assert "Bilag side 2" in texts[2]
    assert "Du kan klage inden 4 uger." in texts[3]
    assert "Se mere på nordby.dk" in " ".join(texts[4].split())
    assert all(abs(float(p.mediabox.width) - A4[0]) < 1 for p in reader.pages)


def _encrypted() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf("hemmelig"))))
    writer.encrypt("kodeord")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(("filename", "media_type", "data", "why"), [
    ("laast.pdf", "application/pdf", _encrypted(), "encrypted"),
    ("letter.pdf", "application/pdf", pdf("US", pagesize=LETTER), "not A4"),
    ("blandet.pdf", "application/pdf", pdf("A4") [:-200] + b"garbage", "damaged"),
    ("tom.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n", "damaged"),
    ("billede.png", "image/png", b"\x89PNG\r\n\x1a\n", "no paper form"),
    ("latin1.txt", "text/plain", "Ærø".encode("latin-1"), "not UTF-8"),
])
def test_unprintable_documents_are_refused_with_the_reason(filename, media_type, data, why):
    with pytest.raises(DigitalPostError) as refused:
        check_printable(filename, media_type, data)
    assert refused.value.code is ErrorCode.DOCUMENT_NOT_PRINTABLE
    assert filename in str(refused.value)
    assert why in str(refused.value)


def test_a4_portrait_and_landscape_text_and_html_are_printable():
    check_printable("a.pdf", "application/pdf", pdf("stående"))
    check_printable("b.pdf", "application/pdf", pdf("liggende", pagesize=landscape(A4)))
    check_printable("c.txt", "text/plain; charset=utf-8", "æøå".encode())
    check_printable("d.html", "text/html", b"<p>hej</p>")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_claiming_to_be_a_pdf_are_printable_or_refused_never_a_crash(data):
    refusal = None
    try:
        check_printable("x.pdf", "application/pdf", b"%PDF-1.4\n" + data)
    except DigitalPostError as refused:
        refusal = refused.code
    assert refusal in (None, ErrorCode.DOCUMENT_NOT_PRINTABLE)


def test_a_manifest_lists_every_letter_with_its_checksum_and_pages():
    import hashlib
    import json
    from datetime import UTC, datetime

    from digitalpost.protocols.letters import BatchLetter, build_manifest

    letters = [BatchLetter(letter_id=f"L-{n}", message_uuid=f"m-{n}", sender_cvr="29190003",
                           recipient_name=f"Modtager {n}", postal_code="8000", city="Aarhus C", country="DK",
                           pdf=pdf(f"brev {n}"), pages=n) for n in (1, 2, 3)]
    manifest = json.loads(build_manifest("B-7", datetime(2026, 11, 27, tzinfo=UTC), letters))
    assert manifest["format"] == "digitalpost-print-batch/1"
    assert (manifest["batchId"], manifest["count"], manifest["pages"]) == ("B-7", 3, 6)
    assert [(e["letterId"], e["file"], e["recipient"]["name"]) for e in manifest["letters"]] == [
        ("L-1", "L-1.pdf", "Modtager 1"), ("L-2", "L-2.pdf", "Modtager 2"), ("L-3", "L-3.pdf", "Modtager 3")]
    assert manifest["letters"][1]["sha256"] == hashlib.sha256(letters[1].pdf).hexdigest()


def test_print_receipts_are_read_and_bad_lines_named_without_losing_the_good_ones():
    from digitalpost.protocols.letters import PrintStatus, read_print_receipts

    found = read_print_receipts(
        "# letter;status;reason;time\n"
        "L-1;AFLEVERET;;2026-11-28T08:00:00+01:00\n"
        "L-2;afvist;Adressen mangler postnummer;2026-11-28T08:00:00+01:00\n"
        "L-3;SENDT;;2026-11-28T08:00:00+01:00\n"
        "L-4;RETURNERET;Ubekendt på adressen;2026-12-03T10:00:00+01:00\n"
        "L-5;RETURNERET;;2026-12-03T10:00:00+01:00\n"
        "L-6;AFLEVERET;;2026-11-28 08:00\n"
        "L-7;AFLEVERET\n"
    )
    assert [(r.letter_id, r.status, r.reason) for r in found.receipts] == [
        ("L-1", PrintStatus.DELIVERED_TO_POST, ""), ("L-2", PrintStatus.REFUSED, "Adressen mangler postnummer"),
        ("L-4", PrintStatus.RETURNED, "Ubekendt på adressen")]
    assert [p.split(":")[0] for p in found.problems] == ["line 4", "line 6", "line 7", "line 8"]
    assert "needs a reason" in found.problems[1]
