"""The letter convention read from inside the encrypted content: the recipient line and digitalpost-letter.xml."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols import mail
from digitalpost.protocols.mail.letter import read_receipt_fields


@pytest.mark.parametrize("line", ["Modtager: 0505851234", "recipient:0505 851234", "  MODTAGER :  0505851234  "])
def test_the_first_line_names_the_recipient_and_is_taken_out_of_the_text(line):
    order, text = mail.read_recipient_line(f"\n{line}\n\nKære Anna\nHilsen")

    assert (order.recipient_id, order.recipient_type) == ("0505851234", "CPR")
    assert text == "Kære Anna\nHilsen"


def test_a_cvr_number_is_a_company():
    order, _ = mail.read_recipient_line("Modtager: 33770006\nHej")
    assert order.recipient_type == "CVR"


@pytest.mark.parametrize("text", ["Kære Anna\nModtager: 0505851234", "Modtager: 0505851234 (Anna)", "",
                                  "Til: 0505851234"])
def test_a_recipient_anywhere_but_alone_on_the_first_line_is_no_recipient(text):
    assert mail.read_recipient_line(text) is None


def test_a_number_of_the_wrong_length_is_refused():
    with pytest.raises(DigitalPostError) as refused:
        mail.read_recipient_line("Modtager: 050585123")
    assert refused.value.code == ErrorCode.LETTER_RECIPIENT_INVALID


def test_letter_file_round_trips_every_field():
    order = mail.LetterOrder(recipient_id="0505851234", recipient_type="CPR", label="Afgørelse", material="Parkering",
                             mandatory=True, legal_notification=True, reply=True,
                             reply_by=datetime(2027, 1, 31, 12, 0, tzinfo=UTC), answer_mailbox="b0x")

    assert mail.read_letter_file(mail.render_letter_file(order)) == order


@pytest.mark.parametrize(("data", "code"), [
    (b"<Letter/>", ErrorCode.LETTER_METADATA_INVALID),
    (b'<Letter xmlns="urn:digitalpost:letter:1" version="1"><Label>x</Label></Letter>',
     ErrorCode.LETTER_RECIPIENT_MISSING),
    (b'<Letter xmlns="urn:digitalpost:letter:1" version="1"><Recipient>0505851234</Recipient>'
     b"<Mandatory>ja</Mandatory></Letter>", ErrorCode.LETTER_METADATA_INVALID),
    (b'<Letter xmlns="urn:digitalpost:letter:1" version="1"><Recipient>0505851234</Recipient>'
     b"<Kombi>print</Kombi></Letter>", ErrorCode.LETTER_METADATA_INVALID),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><Letter xmlns="urn:digitalpost:letter:1" version="1"/>',
     ErrorCode.LETTER_METADATA_INVALID),
])
def test_a_broken_letter_file_is_refused_with_its_code(data, code):
    with pytest.raises(DigitalPostError) as refused:
        mail.read_letter_file(data)
    assert refused.value.code == code


def test_receipt_text_carries_both_languages_and_fields_a_program_reads():
    entity = mail.build_receipt_entity(mail.LetterReceipt(subject="Brev", code="recipient.unknown",
                                                          fix_english="Check the number.", fix_danish="Tjek nummeret."))
    assert b"Content-Type: text/plain" in entity
    body = BytesParser(policy=policy.default).parsebytes(entity).get_content()
    assert "Tjek nummeret." in body
    assert "Check the number." in body
    assert read_receipt_fields(body) == {"Outcome": "refused", "Error-Code": "recipient.unknown"}
