"""Dialog threads: tamper-proof tokens that tie a reply to its conversation, and the carriers they travel in.

`encode` / `verify` make and check `v1.<key id>.<data>.<mac>` tokens (HMAC-SHA256, rotating keys);
`render_thread_file` / `read_thread_file`, the `X-DigitalPost-Thread` header and the `[DP:…]` subject tag
carry them; `find_token` and `resolve_thread` pick the one to route by. Pure: keys and time are parameters,
never imports Django. Not for: MIME assembly (protocols/mail) or finding the thread in the database.
"""

from digitalpost.protocols.threads.carriers import (
    THREAD_FILE_MEDIA_TYPE,
    THREAD_FILE_NAMESPACE,
    THREAD_FILENAME,
    THREAD_HEADER,
    Carrier,
    FoundTokens,
    ResolvedThread,
    ThreadCarriers,
    find_all_in_subject,
    find_in_subject,
    find_token,
    read_header,
    read_thread_file,
    render_thread_file,
    resolve_thread,
    tag_subject,
    untag_subject,
)
from digitalpost.protocols.threads.token import (
    VERSION,
    Keyring,
    ReplyRule,
    ThreadRef,
    ThreadTokenError,
    VerifiedToken,
    encode,
    verify,
    verify_token,
)

__all__ = [
    "THREAD_FILENAME", "THREAD_FILE_MEDIA_TYPE", "THREAD_FILE_NAMESPACE", "THREAD_HEADER", "VERSION",
    "Carrier", "FoundTokens", "Keyring", "ReplyRule", "ResolvedThread", "ThreadCarriers", "ThreadRef",
    "ThreadTokenError", "VerifiedToken", "encode", "find_all_in_subject", "find_in_subject", "find_token",
    "read_header", "read_thread_file", "render_thread_file", "resolve_thread", "tag_subject",
    "untag_subject", "verify", "verify_token",
]
