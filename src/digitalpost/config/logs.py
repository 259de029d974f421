"""Log hygiene for every process of the hub: CPR numbers never reach a log line.

`MaskCprNumbers` is a logging filter (on the root handler in settings.LOGGING, and on granian's access and
error logs through the log configuration `digitalpost run` passes to granian). It renders the record's
message, replaces CPR-shaped numbers by a keyed hash (core.redaction) and stores the result, so no handler or
formatter sees the number.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache

from digitalpost.core.redaction import mask_cpr_numbers


@lru_cache(maxsize=1)
def _key() -> bytes:
    # The key only has to be stable within an installation; the Django secret is, and is never logged.
    from django.conf import settings

    try:
        secret = str(settings.SECRET_KEY)
    except Exception:  # settings not configured (a bare web server process): still mask, with a per-boot key
        secret = os.environ.get("DIGITALPOST_SECRET_KEY", "") or os.urandom(16).hex()
    return b"digitalpost-log-cpr:" + secret.encode()


class MaskCprNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record: leave it to the handler to report
            return True
        masked = mask_cpr_numbers(message, _key())
        if masked != message:
            record.msg, record.args = masked, None
        return True

