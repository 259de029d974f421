"""Dialog-thread tokens as the hub issues them: the token a conversation's messages carry to the authority.

The format, the MAC and the carriers are `protocols.threads`; the keys are the hub's (`hub.keys`). This module
decides what a token says for a thread — its authority, mailbox and whether the citizen may reply — so every
channel (secure mail, REST push and pull) and the doctor's probe carry the same token for the same thread. Not
for: reading tokens back from replies (services/receive.py) or how a token travels (delivery).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from digitalpost.hub.keys import thread_keyring
from digitalpost.messages.models import Thread
from digitalpost.protocols.threads import ReplyRule, ThreadRef, encode

# The AdditionalReplyData label under which REST receivers get the token, and REST replies give it back.
REPLY_DATA_LABEL = "dialogtraad"


def issue_thread_token(
    *, thread_id: uuid.UUID, authority_cvr: str, mailbox_id: uuid.UUID, may_reply: bool, issued_at: datetime
) -> str:
    """A token for a conversation (or, for the probe, one that names none); `issued_at` to the second."""
    ref = ThreadRef(thread_id=thread_id, authority_cvr=authority_cvr, mailbox_id=mailbox_id,
                    reply_rule=ReplyRule.REPLY_ALLOWED if may_reply else ReplyRule.NO_REPLY)
    return encode(ref, keyring=thread_keyring(), issued_at=issued_at)


def thread_token(thread: Thread) -> str:
    """The token of `thread`: the same every time it is asked for (issued at the thread's creation)."""
    return issue_thread_token(thread_id=thread.pk, authority_cvr=thread.authority.cvr,
                              mailbox_id=thread.authority_mailbox_id, may_reply=thread.party_may_reply,
                              issued_at=thread.created_at.replace(microsecond=0))
