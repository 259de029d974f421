"""Reading a contact-register CSV file: every row checked before anything is written (see services).

Columns (header row required): `id_type` (CPR or CVR), `number`, `name`, `status` (REGISTERED, EXEMPT, CLOSED;
empty = REGISTERED), and optionally `address_line`, `postal_code`, `city`, `notification_email` (where notices of
new mail go), `mobile_number` (where NemSMS goes; Danish 8-digit numbers become +45…) and `closed_on` (YYYY-MM-DD:
a CLOSED citizen's date of death or a CLOSED company's closing day, which the retention rules count from). A file
without one of the last three columns leaves what the register holds for it as it is (None in the row). Importing
the same file again changes nothing; a changed row updates the contact (status changes get a new `status_changed_at`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.parties import IdType, normalise_party_id
from digitalpost.registry.models import Contact

REQUIRED_COLUMNS = ("id_type", "number", "name")
DANISH_MOBILE = re.compile(r"\d{8}")
INTERNATIONAL_MOBILE = re.compile(r"\+[1-9]\d{7,14}")  # E.164
KINDS = {IdType.CPR: Contact.Kind.CITIZEN, IdType.CVR: Contact.Kind.COMPANY}


@dataclass(frozen=True)
class ContactRow:
    line: int
    kind: Contact.Kind
    number: str
    name: str
    status: Contact.Status
    address_line: str
    postal_code: str
    city: str
    # None: the file has no such column, so the register's value stays.
    notification_email: str | None = None
    mobile_number: str | None = None
    # None: no such column; "" in the file clears it (an empty cell), else the day.
    closed_on: date | str | None = None


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


class ImportRefused(DigitalPostError):
    """The file has bad rows; nothing was imported. `problems` names every bad line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(ErrorCode.REQUEST_INVALID, f"{len(problems)} bad row(s); nothing was imported")
        self.problems = problems


def read_rows(text: str) -> list[ContactRow]:
    """Every row as a ContactRow, or ImportRefused naming every bad line (line 1 is the header)."""
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or ())
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportRefused([f"line 1: missing column(s) {', '.join(missing)}"])
    rows: list[ContactRow] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for line, raw in enumerate(reader, start=2):
        try:
            row = _row(line, raw)
        except (DigitalPostError, ValueError) as exc:
            problems.append(f"line {line}: {getattr(exc, 'detail', '') or exc}")
            continue
        key = (row.kind, row.number)
        if key in seen:
            problems.append(f"line {line}: {row.number} is also on line {seen[key]}")
            continue
        seen[key] = line
        rows.append(row)
    if problems:
        raise ImportRefused(problems)
    return rows


def _row(line: int, raw: dict[str, str | None]) -> ContactRow:
    def value(column: str) -> str:
        return (raw.get(column) or "").strip()

    id_type = value("id_type").upper()
    if id_type not in KINDS:
        raise ValueError(f"id_type must be CPR or CVR, not {id_type!r}")
    number = normalise_party_id(IdType(id_type), value("number"))
    if not value("name"):
        raise ValueError("name is empty")
    status = value("status").upper() or Contact.Status.REGISTERED
    if status not in Contact.Status.values:
        raise ValueError(f"status must be one of {', '.join(Contact.Status.values)}, not {status!r}")
    email = value("notification_email") if "notification_email" in raw else None
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValueError(f"notification_email {email!r} is not an e-mail address") from None
    mobile = value("mobile_number") if "mobile_number" in raw else None
    closed_on: date | str | None = None
    if "closed_on" in raw:
        try:
            closed_on = date.fromisoformat(value("closed_on")) if value("closed_on") else ""
        except ValueError:
            raise ValueError(f"closed_on {value('closed_on')!r} is not a date (YYYY-MM-DD)") from None
    return ContactRow(line=line, kind=KINDS[IdType(id_type)], number=number, name=value("name"),
                      status=Contact.Status(status), address_line=value("address_line"),
                      postal_code=value("postal_code"), city=value("city"), notification_email=email,
                      mobile_number=normalise_mobile_number(mobile) if mobile else mobile, closed_on=closed_on)


def normalise_mobile_number(text: str) -> str:
    """A mobile number in E.164 (+4520123456); Danish 8-digit numbers get +45. ValueError if it is none."""
    compact = re.sub(r"[\s\-.()]", "", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if DANISH_MOBILE.fullmatch(compact):
        return "+45" + compact
    if INTERNATIONAL_MOBILE.fullmatch(compact):
        return compact
    raise ValueError(f"mobile_number {text!r} is not a phone number (8 digits, or + and the country code)")
