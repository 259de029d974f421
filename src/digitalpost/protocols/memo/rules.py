"""The Digital Post service rules beyond the XSD, checked on a parsed message; every problem is returned.

File names, file types and empty files, https-only action links, a notification for NemSMS, the number of
attachments and the `doNotDeliverUntilDate` window. Limits and today's date are parameters. Not for: the
schema (parse.py/build.py), message size (checked by `parse`), or who may send what to whom
(mandatory/legalNotification permissions, recipient status): that is decided by the hub's services.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

from digitalpost.core.errors import ErrorCode
from digitalpost.protocols.memo.compose import iter_files
from digitalpost.protocols.memo.model import Message
from digitalpost.protocols.memo.spec import MessageType, Problem

DEFAULT_EXTENSIONS = frozenset({
    "pdf", "txt", "html", "htm", "xml", "jpg", "jpeg", "png", "gif", "tif", "tiff", "doc", "docx", "xls",
    "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf", "csv",
})
_FORBIDDEN_IN_NAMES = frozenset('<>:"/\\|?*')


@dataclass(frozen=True, slots=True)
class ServiceRules:
    """The knobs of the service rules. `max_attachments` counts AdditionalDocument elements."""

    allowed_extensions: frozenset[str] = DEFAULT_EXTENSIONS
    max_attachments: int = 10
    max_defer_days: int = 365


def validate(message: Message, *, rules: ServiceRules, today: date) -> list[Problem]:
    """Every service-rule problem of `message` (an empty list when it may be sent)."""
    problems: list[Problem] = []
    problems += _file_problems(message, rules)
    problems += _action_problems(message)
    problems += _header_problems(message, rules, today)
    body = message.body
    if body is not None and len(body.additional_documents) > rules.max_attachments:
        problems.append(Problem(
            ErrorCode.ATTACHMENTS_TOO_MANY,
            f"/Message/MessageBody/AdditionalDocument[{rules.max_attachments + 1}]",
            f"The message has {len(body.additional_documents)} attachments (AdditionalDocument); at most "
            f"{rules.max_attachments} are allowed.",
        ))
    return problems


def _file_problems(message: Message, rules: ServiceRules) -> list[Problem]:
    problems: list[Problem] = []
    allowed = {extension.lower() for extension in rules.allowed_extensions}
    for where, _role, file in iter_files(message):
        name = file.filename
        bad = sorted({_describe(c) for c in name if _forbidden_in_name(c)})
        if bad:
            problems.append(Problem(
                ErrorCode.FILE_NAME_NOT_ALLOWED, f"{where}/filename",
                f"The file name {name!r} contains {', '.join(bad)}, which file names must not contain.",
            ))
        _stem, dot, extension = name.rpartition(".")
        if not dot or extension.lower() not in allowed:
            shown = f".{extension}" if dot else "no extension"
            problems.append(Problem(
                ErrorCode.FILE_EXTENSION_NOT_ALLOWED, f"{where}/filename",
                f"The file {name!r} has {shown}; allowed file types are {', '.join(sorted(allowed))}.",
            ))
        if not file.content:
            problems.append(Problem(
                ErrorCode.FILE_EMPTY_NOT_ALLOWED, f"{where}/content", f"The file {name!r} is empty.",
            ))
    return problems


def _forbidden_in_name(char: str) -> bool:
    if char in _FORBIDDEN_IN_NAMES:
        return True
    # Line breaks, tabs and other control characters, and every space except the ordinary one.
    return char != " " and unicodedata.category(char) in ("Cc", "Zs", "Zl", "Zp")


def _describe(char: str) -> str:
    if char in _FORBIDDEN_IN_NAMES:
        return repr(char)
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'control character')})"


def _action_problems(message: Message) -> list[Problem]:
    problems: list[Problem] = []
    body = message.body
    if body is None:
        return problems
    documents = [("/Message/MessageBody/MainDocument", body.main_document)] + [
        (f"/Message/MessageBody/AdditionalDocument[{i}]", document)
        for i, document in enumerate(body.additional_documents, start=1)
    ]
    for path, document in documents:
        for index, action in enumerate(document.actions, start=1):
            if action.entry_point is None:
                continue
            url = action.entry_point.url
            parts = urlsplit(url)
            if parts.scheme.lower() != "https" or not parts.netloc:
                problems.append(Problem(
                    ErrorCode.ACTION_URI_NOT_ALLOWED, f"{path}/Action[{index}]/EntryPoint/url",
                    f"The action {action.label!r} links to {url!r}; action links must be https:// URLs.",
                ))
    return problems


def _header_problems(message: Message, rules: ServiceRules, today: date) -> list[Problem]:
    problems: list[Problem] = []
    header = message.header
    if header.message_type is MessageType.NEMSMS and not (header.notification or "").strip():
        problems.append(Problem(
            ErrorCode.EMPTY_NOTIFICATION_NOT_ALLOWED, "/Message/MessageHeader/notification",
            "A NEMSMS message must have a notification with the text to send.",
        ))
    until = header.do_not_deliver_until_date
    where = "/Message/MessageHeader/doNotDeliverUntilDate"
    if until is not None and until < today:
        problems.append(Problem(
            ErrorCode.DO_NOT_DELIVER_UNTIL_DATE_TOO_EARLY, where,
            f"doNotDeliverUntilDate {until.isoformat()} lies before today ({today.isoformat()}).",
        ))
    latest = today + timedelta(days=rules.max_defer_days)
    if until is not None and until > latest:
        problems.append(Problem(
            ErrorCode.DO_NOT_DELIVER_UNTIL_DATE_TOO_LATE, where,
            f"doNotDeliverUntilDate {until.isoformat()} lies more than {rules.max_defer_days} days ahead; "
            f"the latest allowed date is {latest.isoformat()}.",
        ))
    return problems
