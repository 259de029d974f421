"""Checks of the plain values every set-up object has: required and bounded text, e-mail addresses.
Each refusal is request.invalid naming the field. Not for: rules about whole objects (their own modules).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from digitalpost.core.errors import DigitalPostError, ErrorCode


def checked_text(value: str, what: str, *, max_length: int, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"{what} is required")
    if len(value) > max_length:
        raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"{what} is longer than {max_length} characters")
    return value


def checked_email(value: str, what: str) -> str:
    value = value.strip()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise DigitalPostError(ErrorCode.REQUEST_INVALID, f"{what} {value!r} is not an e-mail address") from None
    return value
