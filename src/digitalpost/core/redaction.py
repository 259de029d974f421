"""CPR numbers out of log lines: every CPR-shaped number in a text is replaced by a keyed hash.

A CPR number must never be written to a log (access log, application log). The hub sends them in request
bodies, but an old client may still put one in a URL (`GET /apis/v1/contacts?cprNumber=…`), and a message can
quote one. Log lines pass through `mask_cpr_numbers`: "0505851234" or "050585-1234" becomes "cpr#3f9a1c2e" —
the same number gives the same tag under the same key, so an operator can follow one citizen's requests through
the log without the log holding the number. Ten digits count as a CPR number when the first six are a date
(DDMMYY), so timestamps and ids rarely are touched.
"""

from __future__ import annotations

import hashlib
import hmac
import re

# Not inside a longer run of digits; day 01-31 (+40 for substitute numbers is not used: those are not issued to
# people), month 01-12, any year, optional dash, four digits.
CPR_SHAPED = re.compile(r"(?<![0-9])((?:0[1-9]|[12][0-9]|3[01])(?:0[1-9]|1[0-2])[0-9]{2})-?([0-9]{4})(?![0-9])")


def cpr_tag(number: str, key: bytes) -> str:
    digest = hmac.new(key, number.encode(), hashlib.sha256).hexdigest()
    return f"cpr#{digest[:8]}"


def mask_cpr_numbers(text: str, key: bytes) -> str:
    """`text` with each CPR-shaped number replaced by its tag."""
    return CPR_SHAPED.sub(lambda found: cpr_tag(found.group(1) + found.group(2), key), text)
