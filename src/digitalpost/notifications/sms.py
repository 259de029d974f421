"""NemSMS providers: the interface the hub hands an SMS to, a file sink (default) and an HTTP provider.

A provider takes one `OutgoingSms` and returns the provider's reference for it, or raises `SmsUnavailable`
(try again later: nothing is lost) or `SmsRefused` (it will never be accepted). `reference` is our message id:
the file sink names its file after it and the HTTP provider sends it as `Idempotency-Key`, so handing the same
SMS over twice (a worker killed after the hand-over) is one SMS at a provider that honours the key.
Not for: deciding who gets an SMS or recording it (notifications.services).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings

MAX_ANSWER_BYTES = 64 * 1024
# Answers that mean "not now" rather than "never".
RETRYABLE_HTTP = frozenset({408, 425, 429})


class SmsUnavailable(Exception):
    """The provider cannot take the SMS now (down, overloaded, not set up): retry later."""


class SmsRefused(Exception):
    """The provider refused this SMS for good (bad number, bad request)."""


@dataclass(frozen=True)
class OutgoingSms:
    reference: str  # our message id
    to: str  # E.164, e.g. +4520123456
    sender: str  # the authority's name
    text: str

    def as_json(self) -> dict[str, Any]:
        return {"reference": self.reference, "to": self.to, "from": self.sender, "text": self.text}


class SmsProvider(Protocol):
    name: str

    def send(self, sms: OutgoingSms) -> str:
        """Hand the SMS over; the provider's reference for it."""
        ...


def sms_text(notification: str | None) -> str:
    """The SMS text from a MeMo notification: trimmed, with plain line breaks.

    MeMo's rules already hold at submit (protocols/memo): a NEMSMS message must have a non-empty notification,
    at most 150 characters (MeMo 1.1) or 160 (MeMo 1.2). Texts outside the GSM 03.38 alphabet (emoji and the
    like; æ, ø and å are inside it) are sent as UCS-2 by the provider, in more than one part.
    """
    lines = (notification or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.strip() for line in lines).strip()


class FileSink:
    """One JSON file per SMS, named after its reference, in `folder` (the demo and tests read them back)."""

    name = "file"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, sms: OutgoingSms) -> str:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"{sms.reference}.json"
            temporary = self.folder / f".{sms.reference}.json.tmp"
            temporary.write_text(json.dumps(sms.as_json(), ensure_ascii=False, indent=2), encoding="utf-8")
            os.replace(temporary, target)  # whole or not at all: a reader never sees half a file
        except OSError as exc:
            raise SmsUnavailable(f"cannot write to {self.folder}: {exc}") from exc
        return target.name


class HttpProvider:
    """POST the SMS as JSON to `url`; 2xx is accepted (its JSON `id`, if any, is the reference)."""

    name = "http"

    def __init__(self, url: str, *, token: str = "", timeout: float = 10.0) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise SmsUnavailable(f"the SMS provider URL {url!r} is not an http(s) URL (DIGITALPOST_SMS_HTTP_URL)")
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, sms: OutgoingSms) -> str:
        headers = {"Content-Type": "application/json", "Idempotency-Key": sms.reference}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url, data=json.dumps(sms.as_json()).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = response.read(MAX_ANSWER_BYTES)
        except urllib.error.HTTPError as exc:
            why = f"{exc.code} {exc.reason}"
            if exc.code in RETRYABLE_HTTP or exc.code >= 500:
                raise SmsUnavailable(f"the SMS provider answered {why}") from exc
            raise SmsRefused(f"the SMS provider refused it: {why}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SmsUnavailable(f"the SMS provider cannot be reached: {exc}") from exc
        return _reference(answer)


def _reference(answer: bytes) -> str:
    try:
        found = json.loads(answer)
    except ValueError:
        return ""
    return str(found.get("id", ""))[:200] if isinstance(found, dict) else ""


def provider_from_settings() -> SmsProvider:
    """The provider DIGITALPOST_SMS_PROVIDER names ("file" or "http")."""
    kind = settings.DIGITALPOST_SMS_PROVIDER
    if kind == "file":
        return FileSink(Path(settings.DIGITALPOST_SMS_SINK))
    if kind == "http":
        return HttpProvider(settings.DIGITALPOST_SMS_HTTP_URL, token=settings.DIGITALPOST_SMS_HTTP_TOKEN,
                            timeout=settings.DIGITALPOST_SMS_TIMEOUT_SECONDS)
    raise SmsUnavailable(f"unknown SMS provider {kind!r} (DIGITALPOST_SMS_PROVIDER: file or http)")
