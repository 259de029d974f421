"""Reads of authorities."""

from __future__ import annotations

from digitalpost.authorities.models import Authority


def get_authority_by_cvr(cvr: str) -> Authority | None:
    return Authority.objects.filter(cvr=cvr).first()
