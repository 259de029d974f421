"""Shapes every audience of the API shares: the problem+json error body (see `errors.py`)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema


class ProblemOut(Schema):
    type: str
    title: str
    status: int
    errorCode: str
    detail: str
    timeStamp: datetime
