"""The address a portal request comes from, for lock-out counting and the audit log.

X-Forwarded-For counts only when the request comes from one of DIGITALPOST_TRUSTED_PROXIES (the same list the
sender API trusts for client certificates); anyone else could write any address there and escape the lock-out.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    peer = str(request.META.get("REMOTE_ADDR", ""))
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    if forwarded and peer in settings.DIGITALPOST_TRUSTED_PROXIES:
        # The proxy appends the address it saw last: the right-most entry is the one it vouches for.
        return forwarded.split(",")[-1].strip() or peer
    return peer
