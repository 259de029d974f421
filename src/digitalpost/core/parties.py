"""Who is who: CPR and CVR numbers and the kinds of party that send and receive mail.

Only formats and kinds live here; whether a party exists and its registration status is the
registry's business.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from digitalpost.core.errors import DigitalPostError, ErrorCode

_CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


class PartyKind(StrEnum):
    CITIZEN = "CITIZEN"
    COMPANY = "COMPANY"
    AUTHORITY = "AUTHORITY"


class IdType(StrEnum):
    """The MeMo `idType` of a sender or recipient."""

    CPR = "CPR"
    CVR = "CVR"


def is_valid_cvr(value: str) -> bool:
    """Eight digits, no leading zero, modulus-11 check digit."""
    if not re.fullmatch(r"[1-9]\d{7}", value):
        return False
    return sum(int(d) * w for d, w in zip(value, _CVR_WEIGHTS, strict=True)) % 11 == 0


def cpr_birth_date(value: str) -> date | None:
    """The birth date a CPR number encodes, or None when it encodes none.

    The modulus-11 rule is not checked: CPR numbers issued since 2007 need not satisfy it.
    """
    if not re.fullmatch(r"\d{10}", value):
        return None
    day, month, year2, century_digit = int(value[0:2]), int(value[2:4]), int(value[4:6]), int(value[6])
    if century_digit <= 3:
        century = 1900
    elif century_digit in (4, 9):
        century = 2000 if year2 <= 36 else 1900
    else:
        century = 2000 if year2 <= 57 else 1800
    try:
        return date(century + year2, month, day)
    except ValueError:
        return None


def is_valid_cpr(value: str) -> bool:
    return cpr_birth_date(value) is not None


def normalise_party_id(id_type: str, value: str) -> str:
    """A CPR or CVR number without spaces or the dash after the birth date; refused when invalid."""
    cleaned = value.replace(" ", "")
    if id_type == IdType.CPR and re.fullmatch(r"\d{6}-\d{4}", cleaned):
        cleaned = cleaned.replace("-", "")
    valid = is_valid_cpr(cleaned) if id_type == IdType.CPR else is_valid_cvr(cleaned)
    if id_type not in (IdType.CPR, IdType.CVR) or not valid:
        raise DigitalPostError(ErrorCode.CONTACT_ID_INVALID, f"{id_type} {value!r}")
    return cleaned
