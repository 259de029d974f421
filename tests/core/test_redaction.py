"""CPR-shaped numbers in log text become a keyed tag; other numbers stay."""

from digitalpost.core.redaction import cpr_tag, mask_cpr_numbers

KEY = b"k"


def test_cpr_numbers_with_and_without_dash_become_the_same_tag():
    text = mask_cpr_numbers("GET /apis/v1/contacts?cprNumber=0505851234 and 050585-1234", KEY)
    assert text == f"GET /apis/v1/contacts?cprNumber={cpr_tag('0505851234', KEY)} and {cpr_tag('0505851234', KEY)}"


def test_timestamps_ids_and_cvr_numbers_are_left_alone():
    text = "at 1733200000 id 12345678901 cvr 29190003 seq 9999999999"
    assert mask_cpr_numbers(text, KEY) == text
