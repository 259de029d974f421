"""Shapes every audience of the API shares: the problem+json error body (see `errors.py`)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema

# Cursors and sequence numbers are database ids (64-bit signed). A bigger number would overflow the database
# driver (a 500) instead of being refused: every integer parameter of the API has an upper bound, checked by
# tests/api/test_numeric_parameters.py against the published schema.
MAX_CURSOR = 2**63 - 1


class ProblemOut(Schema):
    type: str
    title: str
    status: int
    errorCode: str
    detail: str
    timeStamp: datetime
