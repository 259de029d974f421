import pytest

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.parties import cpr_birth_date, is_valid_cpr, is_valid_cvr, normalise_party_id


@pytest.mark.parametrize("cvr", ["29190003", "55660018", "33770006"])
def test_cvr_with_right_check_digit_is_valid(cvr):
    assert is_valid_cvr(cvr)


@pytest.mark.parametrize("cvr", ["29190004", "0919000", "2919000", "abcdefgh", "09190003", ""])
def test_cvr_with_wrong_check_digit_or_shape_is_invalid(cvr):
    assert not is_valid_cvr(cvr)


def test_cpr_encodes_birth_date_with_century_from_seventh_digit():
    assert cpr_birth_date("0505851234").year == 1985
    assert cpr_birth_date("0101054321").year == 2005
    assert cpr_birth_date("3102851234") is None  # 31 February


def test_cpr_needs_ten_digits():
    assert not is_valid_cpr("050585123")
    assert not is_valid_cpr("05058512345")


def test_party_id_is_normalised_from_dashed_cpr():
    assert normalise_party_id("CPR", "050585-1234") == "0505851234"


def test_invalid_party_id_is_refused_with_contact_id_invalid():
    with pytest.raises(DigitalPostError) as caught:
        normalise_party_id("CVR", "12345678")
    assert caught.value.code == ErrorCode.CONTACT_ID_INVALID
