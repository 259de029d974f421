"""New API tokens for sender and receiver systems: shown to the caller once; only their hash
(systems.selectors.hash_token) is stored. Not for: checking a token (the selectors do).
"""

from __future__ import annotations

import secrets


def new_token() -> str:
    return "dp_" + secrets.token_urlsafe(32)
