"""A caseworker starts a letter in the authority portal: built into a MeMo and accepted exactly like a REST MeMo.

The caseworker names the recipient (CPR or CVR, typed into a POSTed form, never a URL), the title, the text and/or
documents, and the choices a sender system makes in a MeMo header (material, mandatory, legal notification, "may
answer" with deadline and answer mailbox) as a `mail.LetterOrder` — the same order a letter started by secure mail
carries. `mail_letters.build_letter` turns it into the MeMo and `accept_memo` accepts it: the MeMo file rules, who
may write to whom, mandatory/legal-notification rights, KombiPost (the sender system's default), exemptions,
notices and print, as for `POST /apis/v1/memos`. It is sent as the organisation's standard sender system, the
system the portal's replies are sent as (conversations.services.casework); the received event says
`via: portal` and who sent it, and the audit log records it in the acceptance's own transaction. Callers have
already checked the caseworker's right to send (core.roles Action.SEND_LETTER).
"""

from __future__ import annotations

from collections.abc import Sequence

from digitalpost.audit.services import record_change
from digitalpost.authorities.models import Authority
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.core.roles import Actor
from digitalpost.messages.services.ingest import Acceptance, accept_memo
from digitalpost.messages.services.mail_letters import LETTER_TEXT_FILENAME, build_letter
from digitalpost.protocols import mail, memo
from digitalpost.systems.models import SenderSystem

CHANNEL = "portal"  # the received event's "via"


def portal_sender_system(authority: Authority) -> SenderSystem:
    """The system portal letters are sent as: the organisation's standard sender system, which must be active."""
    system = SenderSystem.objects.select_related("authority").filter(authority=authority, is_standard=True).first()
    if system is None:
        raise DigitalPostError(ErrorCode.STANDARD_SENDER_SYSTEM_REQUIRED, authority.name)
    if not system.is_active:
        raise DigitalPostError(ErrorCode.STANDARD_SENDER_SYSTEM_REQUIRED,
                               f"the standard sender system {system.name!r} is deactivated")
    return system


def send_portal_letter(*, authority: Authority, order: mail.LetterOrder, text: str,
                       documents: Sequence[tuple[str, str, bytes]], actor: Actor) -> Acceptance:
    """Accept the caseworker's letter, or raise DigitalPostError (MemoRefused) with the code of the first problem.

    `text` becomes the main document `brev.txt` (when not blank) and each of `documents` (filename, media type,
    content) a document of its own, the first one the main document when there is no text.
    """
    files = [(name, media_type, content) for name, media_type, content in documents]
    if text.strip():
        files.insert(0, (LETTER_TEXT_FILENAME, "text/plain", text.encode()))
    if not files:
        raise DigitalPostError(ErrorCode.LETTER_BODY_EMPTY, "no text and no document")
    system = portal_sender_system(authority)
    letter = build_letter(authority=authority, order=order, subject=order.label, files=files)

    def audit(acceptance: Acceptance) -> None:
        message = acceptance.message
        # The recipient's number stays out of the audit log (the message log shows it to those who may see it).
        record_change(actor=actor, organisation=authority.cvr, action="letter.sent", object_type="message",
                      object_id=str(message.pk), object_label=message.label,
                      after={"recipientType": order.recipient_type, "channel": message.channel,
                             "mandatory": message.is_mandatory, "legalNotification": message.is_legal_notification,
                             "answerMailbox": str(message.answer_mailbox_id or ""),
                             "documents": [name for name, _, _ in files], "senderSystem": system.name})

    return accept_memo(system=system, body=memo.build(letter), received={"via": CHANNEL, "by": actor.label},
                       on_recorded=audit)
