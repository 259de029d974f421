"""Reading a token from the Authorization header, the same way for every audience of the API.

Each audience checks the token against its own table (sender systems, receiver systems, admin tokens); this
module only takes it out of `Bearer <token>` or `Basic base64(<anything>:<token>)`.
"""

from __future__ import annotations

import base64
import binascii


def token_from_header(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None
