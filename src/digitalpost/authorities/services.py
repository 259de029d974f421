"""Writes to authorities."""

from __future__ import annotations

from django.db import transaction

from digitalpost.authorities.models import Authority
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.parties import is_valid_cvr


@transaction.atomic(durable=True)
def create_authority(
    *, cvr: str, name: str, may_send_mandatory: bool = False, may_send_legal_notification: bool = False
) -> Authority:
    if not is_valid_cvr(cvr):
        raise DigitalPostError(ErrorCode.CONTACT_ID_INVALID, f"CVR {cvr!r}")
    return Authority.objects.create(
        cvr=cvr,
        name=name,
        may_send_mandatory=may_send_mandatory,
        may_send_legal_notification=may_send_legal_notification,
    )
