"""The one catalogue of error codes.

Every refusal anywhere in the hub — REST API, SMTP, web pages, CLI — carries a code from here and the
human text that says what to fix. Entry points render the same error their own way (a receipt or
problem+json over HTTP, a reply line over SMTP, a line of text in the CLI). Not for: logging or
exceptions that never reach a user.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    # The message itself (MeMo): receipt status INVALID.
    MEMO_INVALID = "memo.invalid"
    MEMO_TOO_LARGE = "memo.too.large"
    MEMO_UUID_MISMATCH = "memo.uuid.mismatch"
    MEMO_UUID_CONFLICT = "memo.uuid.conflict"
    MEMO_CONTENT_TYPE_NOT_SUPPORTED = "memo.content.type.not.supported"
    FILE_EMPTY_NOT_ALLOWED = "file.empty.not.allowed"
    FILE_EXTENSION_NOT_ALLOWED = "file.extension.not.allowed"
    FILE_NAME_NOT_ALLOWED = "file.name.not.allowed"
    ACTION_URI_NOT_ALLOWED = "action.uri.not.allowed"
    EMPTY_NOTIFICATION_NOT_ALLOWED = "empty.notification.not.allowed"
    ATTACHMENTS_TOO_MANY = "attachments.too.many"
    DO_NOT_DELIVER_UNTIL_DATE_TOO_EARLY = "do.not.deliver.until.date.too.early"
    DO_NOT_DELIVER_UNTIL_DATE_TOO_LATE = "do.not.deliver.until.date.too.late"
    DOCUMENT_NOT_PRINTABLE = "document.not.printable"
    # Who may send what to whom: receipt status NOT_ALLOWED.
    SENDER_NOT_ALLOWED = "sender.not.allowed"
    RECIPIENT_IS_CLOSED = "recipient.is.closed"
    RECIPIENT_IS_EXEMPT = "recipient.is.exempt"
    RECIPIENT_UNKNOWN = "recipient.unknown"
    RECIPIENT_ADDRESS_MISSING = "recipient.address.missing"
    MANDATORY_NOT_ALLOWED = "mandatory.not.allowed"
    LEGAL_NOTIFICATION_NOT_ALLOWED = "legal.notification.not.allowed"
    POLICY_NOT_ALLOWED = "policy.not.allowed"
    # REST replies: a MeMo whose ReplyData names a conversation (docs/replies.md).
    REPLY_REFERENCE_UNKNOWN = "reply.reference.unknown"
    REPLY_RECIPIENT_MISMATCH = "reply.recipient.mismatch"
    REPLY_SENDER_NOT_ALLOWED = "reply.sender.not.allowed"
    REPLY_THREAD_INVALID = "reply.thread.invalid"
    LETTER_ANSWER_NOT_ALLOWED = "letter.answer.not.allowed"
    # Inquiries written by citizens and companies to an authority mailbox.
    MAILBOX_NOT_FOUND = "mailbox.not.found"
    MAILBOX_CLOSED = "mailbox.closed"
    TOPIC_REQUIRED = "topic.required"
    METADATA_MISSING = "metadata.missing"
    # Secure mail (S/MIME) and dialog threads: replies that cannot be filed are bounced with these.
    THREAD_MISSING = "thread.missing"
    THREAD_INVALID = "thread.invalid"
    THREAD_NOT_YOURS = "thread.not.yours"
    REPLY_NOT_ALLOWED = "reply.not.allowed"
    SIGNATURE_MISSING = "signature.missing"
    SIGNATURE_INVALID = "signature.invalid"
    SENDER_CERTIFICATE_UNKNOWN = "sender.certificate.unknown"
    SENDER_CERTIFICATE_EXPIRED = "sender.certificate.expired"
    SENDER_NOT_STANDARD_SYSTEM = "sender.not.standard.system"
    ENCRYPTION_MISSING = "encryption.missing"
    ENCRYPTION_ALGORITHM_UNSUPPORTED = "encryption.algorithm.unsupported"
    ENCRYPTION_WRONG_RECIPIENT = "encryption.wrong.recipient"
    DECRYPTION_FAILED = "decryption.failed"
    SIGNATURE_SHA1_REFUSED = "signature.sha1.refused"
    MESSAGE_TOO_LARGE = "message.too.large"
    MAIL_MALFORMED = "mail.malformed"
    # New letters started by secure mail (docs/secure-mail-letters.md).
    LETTER_RECIPIENT_MISSING = "letter.recipient.missing"
    LETTER_RECIPIENT_INVALID = "letter.recipient.invalid"
    LETTER_METADATA_INVALID = "letter.metadata.invalid"
    LETTER_BODY_EMPTY = "letter.body.empty"
    LETTER_RECIPIENT_CONFLICT = "letter.recipient.conflict"
    LETTER_GATEWAY_ADDRESS_OFF = "letter.gateway.address.off"
    LETTER_GATEWAY_ADDRESS_INVALID = "letter.gateway.address.invalid"
    # Certificates uploaded or presented.
    CERTIFICATE_UNREADABLE = "certificate.unreadable"
    CERTIFICATE_EXPIRED = "certificate.expired"
    CERTIFICATE_NOT_YET_VALID = "certificate.not.yet.valid"
    CERTIFICATE_UNTRUSTED = "certificate.untrusted"
    CERTIFICATE_CHAIN_SHA1 = "certificate.chain.sha1"
    CERTIFICATE_REVOKED = "certificate.revoked"
    CERTIFICATE_KEY_USAGE = "certificate.key.usage"
    CERTIFICATE_EMAIL_MISMATCH = "certificate.email.mismatch"
    # The API around messages.
    AUTHENTICATION_FAILED = "authentication.failed"
    CLIENT_CERTIFICATE_MISSING = "client.certificate.missing"
    CLIENT_CERTIFICATE_MISMATCH = "client.certificate.mismatch"
    MESSAGE_NOT_FOUND = "message.not.found"
    MESSAGE_ALREADY_ACKNOWLEDGED = "message.already.acknowledged"
    CONTACT_ID_INVALID = "contact.id.invalid"
    LOOKUP_TOO_MANY = "lookup.too.many"
    REQUEST_INVALID = "request.invalid"
    REQUEST_TOO_LARGE = "request.too.large"
    REQUEST_TOO_SLOW = "request.too.slow"
    SUBMISSIONS_TOO_MANY = "submissions.too.many"
    SESSIONS_TOO_MANY = "sessions.too.many"
    SESSION_TOO_LONG = "session.too.long"
    INTERNAL_ERROR = "internal.error"
    HUB_TRUST_ANCHORS_UNREADABLE = "hub.trust.anchors.unreadable"
    # Administration: organisations, roles and set-up (portal and admin API).
    ORGANISATION_NOT_FOUND = "organisation.not.found"
    ROLE_NOT_ALLOWED = "role.not.allowed"
    SIGN_IN_REQUIRED = "sign.in.required"
    LAST_SUPERADMINISTRATOR = "last.superadministrator"
    USER_NOT_FOUND = "user.not.found"
    OBJECT_NOT_FOUND = "object.not.found"
    NAME_TAKEN = "name.taken"
    SECURE_ADDRESS_IN_USE = "secure.address.in.use"
    RECEIVER_SYSTEM_IN_USE = "receiver.system.in.use"
    MAILBOX_IN_USE = "mailbox.in.use"
    STANDARD_MAILBOX_REQUIRED = "standard.mailbox.required"
    STANDARD_SENDER_SYSTEM_REQUIRED = "standard.sender.system.required"
    STANDARD_SENDER_SYSTEM_REMOVAL = "standard.sender.system.removal"
    SENDER_CERTIFICATE_REQUIRED = "sender.certificate.required"
    IP_NOT_ALLOWED = "ip.not.allowed"
    IP_ALLOWLIST_INVALID = "ip.allowlist.invalid"
    RECEIVER_ENDPOINT_NOT_ALLOWED = "receiver.endpoint.not.allowed"
    RECALL_TOO_LATE = "recall.too.late"
    RECALL_NOT_POSSIBLE = "recall.not.possible"
    INQUIRY_NOT_FOUND = "inquiry.not.found"
    REPLY_EMPTY = "reply.empty"
    # Mass sends (an LZMA-compressed tar of MeMo files on POST /apis/v1/memos).
    ARCHIVE_DAMAGED = "archive.damaged"
    MASS_SEND_NOT_FOUND = "mass.send.not.found"
    PRINT_PROVIDER_HOST_KEY_MISMATCH = "print.provider.host.key.mismatch"
    PRINT_PROVIDER_FAILED = "print.provider.failed"
    # Sign-in to the web mailbox through OpenID Connect (MitID via NemLog-in or a broker): each refusal its page.
    SIGNIN_CANCELLED = "signin.cancelled"
    SIGNIN_STATE_INVALID = "signin.state.invalid"
    SIGNIN_SIGNATURE_INVALID = "signin.token.signature"
    SIGNIN_AUDIENCE_WRONG = "signin.token.audience"
    SIGNIN_ISSUER_WRONG = "signin.token.issuer"
    SIGNIN_ID_EXPIRED = "signin.token.expired"
    SIGNIN_NONCE_WRONG = "signin.token.nonce"
    SIGNIN_ID_INVALID = "signin.token.invalid"
    SIGNIN_LOA_TOO_LOW = "signin.loa.too.low"
    SIGNIN_CPR_MISSING = "signin.cpr.missing"
    SIGNIN_NO_MAILBOX = "signin.no.mailbox"
    SIGNIN_COMPANY_ACCESS_MISSING = "signin.company.access.missing"
    SIGNIN_PROVIDER_UNAVAILABLE = "signin.provider.unavailable"
    SIGNIN_SESSION_EXPIRED = "signin.session.expired"
    COMPANY_ACCESS_NOT_ALLOWED = "company.access.not.allowed"
    # A person's own folders in the web mailbox (filing).
    FOLDER_NAME_INVALID = "folder.name.invalid"
    FOLDER_NAME_TAKEN = "folder.name.taken"
    SIGNIN_STAFF_NOT_MEMBER = "signin.staff.not.member"
    # Invitations to join an organisation (portal users page, admin API /invitations).
    INVITATION_INVALID = "invitation.invalid"
    INVITATION_NOT_PENDING = "invitation.not.pending"
    INVITATIONS_TOO_MANY = "invitations.too.many"
    SIGNIN_STAFF_NAME_TAKEN = "signin.staff.name.taken"
    # Receipts pushed to a sender system's endpoints (admin API, portal, POST /apis/v1/push-endpoints/…/replay).
    PUSH_ENDPOINT_URL_INVALID = "push.endpoint.url.invalid"
    PUSH_SIGNING_INVALID = "push.signing.invalid"
    PUSH_EVENT_TYPE_UNKNOWN = "push.event.type.unknown"
    PUSH_ENDPOINT_INACTIVE = "push.endpoint.inactive"
    # Power of attorney (fuldmagt) in the web mailbox and the portal (docs/power-of-attorney.md).
    ATTORNEY_HOLDER_UNKNOWN = "attorney.holder.unknown"
    ATTORNEY_HOLDER_SELF = "attorney.holder.self"
    ATTORNEY_PERIOD_INVALID = "attorney.period.invalid"
    ATTORNEY_REASON_MISSING = "attorney.reason.missing"
    ATTORNEY_NOT_ACTIVE = "attorney.not.active"
    ATTORNEY_READ_ONLY = "attorney.read.only"
    ATTORNEY_FOLDERS_INVALID = "attorney.folders.invalid"
    ATTORNEY_OUTSIDE_FOLDERS = "attorney.outside.folders"
    # Forwarding a letter from the web mailbox (docs/forwarding.md).
    FORWARD_RECIPIENT_UNKNOWN = "forward.recipient.unknown"
    FORWARD_RECIPIENT_NOT_DIGITAL = "forward.recipient.not.digital"
    FORWARD_EMAIL_OFF = "forward.email.off"


class Outcome(StrEnum):
    """How a refusal is reported: the national receipt statuses plus plain API failures."""

    INVALID = "INVALID"
    NOT_ALLOWED = "NOT_ALLOWED"
    CONFLICT = "CONFLICT"
    UNAUTHORISED = "UNAUTHORISED"
    NOT_FOUND = "NOT_FOUND"
    INTERNAL = "INTERNAL"
    # Not a refusal: the message was accepted, and the receipt tells the sender something it can act on.
    WARNING = "WARNING"


@dataclass(frozen=True)
class ErrorSpec:
    outcome: Outcome
    http: int
    smtp: str
    text: str


def _invalid(text: str) -> ErrorSpec:
    return ErrorSpec(Outcome.INVALID, 400, "5.6.0", text)


def _not_allowed(text: str) -> ErrorSpec:
    return ErrorSpec(Outcome.NOT_ALLOWED, 403, "5.7.1", text)


def _signin(text: str) -> ErrorSpec:
    return ErrorSpec(Outcome.UNAUTHORISED, 403, "5.7.8", text)


def _mail(smtp: str, text: str) -> ErrorSpec:
    return ErrorSpec(Outcome.NOT_ALLOWED, 422, smtp, text)


CATALOGUE: dict[ErrorCode, ErrorSpec] = {
    ErrorCode.MEMO_INVALID: _invalid(
        "The message is not well-formed XML or does not follow the MeMo schema. Fix the element named "
        "in the error and send the message again."
    ),
    ErrorCode.MEMO_TOO_LARGE: ErrorSpec(
        Outcome.INVALID, 413, "5.3.4",
        "The message is larger than allowed for this sender. Split it into several messages or make "
        "the documents smaller.",
    ),
    ErrorCode.MEMO_UUID_MISMATCH: _invalid(
        "The memo-message-uuid query parameter differs from the messageUUID in the MeMo header. Send "
        "the same UUID in both places."
    ),
    ErrorCode.MEMO_UUID_CONFLICT: ErrorSpec(
        Outcome.CONFLICT, 409, "5.7.0",
        "A different message was already accepted with this messageUUID. Give every new message a new "
        "UUID; resend a message only with exactly the same content.",
    ),
    ErrorCode.MEMO_CONTENT_TYPE_NOT_SUPPORTED: ErrorSpec(
        Outcome.INVALID, 415, "5.6.0",
        "Send one MeMo as application/xml, or a mass send (an LZMA-compressed tar of MeMo files) as "
        "application/x-lzma.",
    ),
    ErrorCode.DOCUMENT_NOT_PRINTABLE: _invalid(
        "The message must be printed (the recipient is not registered for Digital Post, or KombiPost print was "
        "chosen), but a document cannot be printed: it is an encrypted or damaged PDF, its pages are not A4, or "
        "its type has no paper form. Send an unencrypted A4 PDF, plain text or simple HTML instead."
    ),
    ErrorCode.FILE_EMPTY_NOT_ALLOWED: _invalid(
        "A document file is empty. Attach the file's content or leave the file out."
    ),
    ErrorCode.FILE_EXTENSION_NOT_ALLOWED: _invalid(
        "A document has a file type that recipients cannot open safely. Convert it to an allowed type "
        "such as PDF."
    ),
    ErrorCode.FILE_NAME_NOT_ALLOWED: _invalid(
        'A file name contains a character that is not allowed (< > : " / \\ | ? *, line breaks or '
        "special spaces). Rename the file."
    ),
    ErrorCode.ACTION_URI_NOT_ALLOWED: _invalid(
        "An action link does not use https. Only https links may be sent to recipients."
    ),
    ErrorCode.EMPTY_NOTIFICATION_NOT_ALLOWED: _invalid(
        "A NemSMS message needs a notification text. Write the text the recipient should receive."
    ),
    ErrorCode.ATTACHMENTS_TOO_MANY: _invalid(
        "The message has more attachments than allowed. Send at most the allowed number or combine "
        "documents."
    ),
    ErrorCode.DO_NOT_DELIVER_UNTIL_DATE_TOO_EARLY: _invalid(
        "doNotDeliverUntilDate lies in the past. Leave it out to deliver at once, or give today or a "
        "later date."
    ),
    ErrorCode.DO_NOT_DELIVER_UNTIL_DATE_TOO_LATE: _invalid(
        "doNotDeliverUntilDate lies too far in the future. Choose a date within the allowed period."
    ),
    ErrorCode.SENDER_NOT_ALLOWED: _not_allowed(
        "The MeMo's Sender is not the organisation this sender system belongs to. Put your own "
        "organisation's CVR in Sender/senderID."
    ),
    ErrorCode.RECIPIENT_IS_CLOSED: _not_allowed(
        "The recipient's mailbox is closed (for example after death or emigration). The message cannot "
        "be delivered digitally; contact the recipient another way."
    ),
    ErrorCode.RECIPIENT_ADDRESS_MISSING: _not_allowed(
        "The message must be printed (the recipient is exempt from Digital Post, or KombiPost print was chosen), "
        "but the register has no postal address for the recipient. Ask the recipient's municipality to correct "
        "the address, or deliver the message another way."
    ),
    ErrorCode.RECIPIENT_IS_EXEMPT: _not_allowed(
        "The recipient is exempt from Digital Post and must receive letters on paper, but the message was sent "
        "with KombiPost digital. Send it again with kombi=automatic or kombi=print and the hub prints it."
    ),
    ErrorCode.RECIPIENT_UNKNOWN: _not_allowed(
        "The recipient is not in the contact register. Check the CPR or CVR number."
    ),
    ErrorCode.MANDATORY_NOT_ALLOWED: _not_allowed(
        "Your organisation may not send mandatory messages. Leave out <mandatory> or ask the platform "
        "operator for the permission."
    ),
    ErrorCode.LEGAL_NOTIFICATION_NOT_ALLOWED: _not_allowed(
        "Your organisation may not send legal notifications. Leave out <legalNotification> or ask the "
        "platform operator for the permission."
    ),
    ErrorCode.POLICY_NOT_ALLOWED: _not_allowed(
        "This kind of sender may not write to this kind of recipient (see who may write to whom)."
    ),
    ErrorCode.MAILBOX_NOT_FOUND: ErrorSpec(
        Outcome.NOT_FOUND, 404, "5.1.1", "No such mailbox is open to you. Choose a mailbox from the list."
    ),
    ErrorCode.REPLY_REFERENCE_UNKNOWN: ErrorSpec(
        Outcome.WARNING, 201, "2.0.0",
        "Accepted as a new letter, not as a reply: no ReplyData of the MeMo names a conversation of your "
        "organisation that the hub knows (case systems' own references are fine). To answer in a conversation, "
        "copy the ReplyData of the inquiry exactly as your receiver system got it (messageUUID and the "
        "dialogtraad).",
    ),
    ErrorCode.REPLY_RECIPIENT_MISMATCH: _not_allowed(
        "The reply's Recipient is not the citizen or company of the conversation its ReplyData names. Send the "
        "reply to the party who wrote (the inquiry's Sender), or leave out the ReplyData to write a new letter."
    ),
    ErrorCode.REPLY_SENDER_NOT_ALLOWED: _not_allowed(
        "This sender system may not answer conversations: over REST, replies come from the organisation's "
        "standard sender system or a REST sender system (a secure-mail system answers by secure mail). Send the "
        "reply with the case system's own token, or mark the system as standard in Portal → Sender systems."
    ),
    ErrorCode.REPLY_THREAD_INVALID: _not_allowed(
        "The reply's ReplyData names its conversation in a way the hub cannot use: the dialogtraad was changed "
        "or not issued by the hub, or the ReplyData name two different conversations. Copy the ReplyData of "
        "the one inquiry you answer exactly as your receiver system got it."
    ),
    ErrorCode.LETTER_ANSWER_NOT_ALLOWED: _not_allowed(
        "This letter cannot be answered here: the sender did not ask for an answer (MeMo reply), the deadline "
        "(replyByDateTime) has passed, or it is already part of a conversation (write there). Write to the "
        "authority's mailbox instead."
    ),
    ErrorCode.MAILBOX_CLOSED: _not_allowed(
        "This mailbox does not take new inquiries. Choose another mailbox of the authority or contact it by phone."
    ),
    ErrorCode.TOPIC_REQUIRED: _invalid("Choose one of the mailbox's topics."),
    ErrorCode.METADATA_MISSING: _invalid("Fill in the fields the mailbox asks for; the authority needs them."),
    ErrorCode.THREAD_MISSING: _mail(
        "5.7.1",
        "The reply carries no dialog thread. Reply to the message you received and keep its attachment "
        "dkaldialogtraad.xml (and the [DP:…] tag in the subject); do not write a new mail.",
    ),
    ErrorCode.THREAD_INVALID: _mail(
        "5.7.1",
        "The reply's dialog thread has been changed or is not one we issued. Reply to the original message "
        "without editing its dkaldialogtraad.xml attachment.",
    ),
    ErrorCode.THREAD_NOT_YOURS: _mail(
        "5.7.1",
        "The dialog thread belongs to another authority's conversation. Reply from the authority the "
        "citizen wrote to.",
    ),
    ErrorCode.REPLY_NOT_ALLOWED: _mail(
        "5.7.1", "Replies are not allowed in this conversation (the message said 'no reply')."
    ),
    ErrorCode.SIGNATURE_MISSING: _mail(
        "5.7.1", "The mail is not signed. Sign it with your sender system's S/MIME certificate."
    ),
    ErrorCode.SIGNATURE_INVALID: _mail(
        "5.7.1",
        "The mail's signature does not match its content. The mail was changed after signing or the "
        "signature is broken; send it again from your mail system.",
    ),
    ErrorCode.SENDER_CERTIFICATE_UNKNOWN: _mail(
        "5.7.1",
        "The mail is signed with a certificate that is not registered for any of your sender systems. "
        "Upload the certificate in the administration portal under Systems.",
    ),
    ErrorCode.SENDER_CERTIFICATE_EXPIRED: _mail(
        "5.7.1",
        "The certificate the mail is signed with has expired. Renew it and upload the new certificate in "
        "the administration portal.",
    ),
    ErrorCode.SENDER_NOT_STANDARD_SYSTEM: _mail(
        "5.7.1",
        "Simple replies are accepted only from your organisation's standard sender system. Sign with the "
        "standard system's certificate or mark another system as standard.",
    ),
    ErrorCode.ENCRYPTION_MISSING: _mail(
        "5.7.1", "The mail is not encrypted. Encrypt it to the hub's certificate before sending."
    ),
    ErrorCode.ENCRYPTION_ALGORITHM_UNSUPPORTED: _mail(
        "5.7.1",
        "The mail is encrypted with an algorithm we do not accept (we accept RSA PKCS#1 v1.5 or RSAES-OAEP "
        "and ECDH key management with AES-CBC, AES-GCM or, for old mail, 3DES). Change your S/MIME settings "
        "to AES-256-CBC or AES-GCM.",
    ),
    ErrorCode.ENCRYPTION_WRONG_RECIPIENT: _mail(
        "5.7.1",
        "The mail is encrypted, but not to the hub's certificate. Encrypt it to the hub's current "
        "certificate (fetch it again if the hub renewed it) and send it again.",
    ),
    ErrorCode.DECRYPTION_FAILED: _mail(
        "5.7.1",
        "The mail is encrypted to the hub's certificate but could not be decrypted: it was damaged on the "
        "way or encrypted incorrectly. Send it again; if it fails again, check your S/MIME settings.",
    ),
    ErrorCode.SIGNATURE_SHA1_REFUSED: _mail(
        "5.7.1",
        "The mail is signed with the SHA-1 digest, which this organisation no longer accepts. Set your "
        "mail program or sender system to sign with SHA-256 and send it again.",
    ),
    ErrorCode.MESSAGE_TOO_LARGE: ErrorSpec(
        Outcome.INVALID, 413, "5.3.4", "The mail is larger than allowed. Send large documents in several mails."
    ),
    ErrorCode.MAIL_MALFORMED: _mail(
        "5.6.0", "The mail could not be read as MIME. Send it from a standard mail program."
    ),
    ErrorCode.LETTER_RECIPIENT_MISSING: _mail(
        "5.1.3",
        "The mail names no dialog thread, so it is a new letter, but it names no recipient. Write "
        "'Modtager: <CPR or CVR number>' alone on the first line of the body, or attach digitalpost-letter.xml. "
        "To answer a citizen, use Reply so the [DP:...] tag and dkaldialogtraad.xml stay in the mail.",
    ),
    ErrorCode.LETTER_RECIPIENT_INVALID: _mail(
        "5.1.3",
        "The letter's recipient is not a CPR number (10 digits) or a CVR number (8 digits). Correct the "
        "'Modtager:' line or the Recipient in digitalpost-letter.xml.",
    ),
    ErrorCode.LETTER_METADATA_INVALID: _mail(
        "5.6.0",
        "The attachment digitalpost-letter.xml is not valid (see docs/secure-mail-letters.md for its elements). "
        "Correct it, or leave it out and name the recipient on the body's first line.",
    ),
    ErrorCode.LETTER_BODY_EMPTY: _mail(
        "5.6.0",
        "The letter has no text and no attachment to deliver. Write the letter in the body or attach it.",
    ),
    ErrorCode.LETTER_RECIPIENT_CONFLICT: _mail(
        "5.1.3",
        "The mail is addressed to one recipient's gateway address but names another inside (the 'Modtager:' line or "
        "digitalpost-letter.xml). Send it to the hub's address, or make the two agree.",
    ),
    ErrorCode.LETTER_GATEWAY_ADDRESS_OFF: _mail(
        "5.7.1",
        "Your organisation does not accept letters addressed <number>@<organisation>.<hub domain>: the number would "
        "travel outside the encryption. Send the letter to the hub's address and name the recipient inside "
        "('Modtager:' on the first line, or digitalpost-letter.xml).",
    ),
    ErrorCode.LETTER_GATEWAY_ADDRESS_INVALID: _mail(
        "5.1.1",
        "The gateway address names another organisation (or a mailbox that is not yours) after the '@'. Use "
        "<CPR or CVR>@<your CVR or one of your mailbox ids>.<hub domain>, or the hub's address.",
    ),
    ErrorCode.CERTIFICATE_UNREADABLE: _invalid(
        "The certificate could not be read. Upload it as PEM, DER or PKCS#12."
    ),
    ErrorCode.CERTIFICATE_EXPIRED: _invalid("The certificate has expired. Upload a renewed certificate."),
    ErrorCode.CERTIFICATE_NOT_YET_VALID: _invalid("The certificate is not valid yet. Check its start date."),
    ErrorCode.CERTIFICATE_UNTRUSTED: _invalid(
        "The certificate is not issued by a trusted certificate authority. Use a certificate from a "
        "trusted issuer (or add the issuer to the trust anchors)."
    ),
    ErrorCode.CERTIFICATE_CHAIN_SHA1: _invalid(
        "The certificate or one of its issuing certificates is signed with SHA-1, which is no longer "
        "trusted. Order a certificate whose whole chain is signed with SHA-256 or better."
    ),
    ErrorCode.CERTIFICATE_REVOKED: _invalid("The certificate has been revoked by its issuer. Use a new one."),
    ErrorCode.CERTIFICATE_KEY_USAGE: _invalid(
        "The certificate may not be used for this purpose (e-mail protection for mail, client "
        "authentication for the REST interface). Order a certificate with the right key usage."
    ),
    ErrorCode.CERTIFICATE_EMAIL_MISMATCH: _invalid(
        "The certificate's e-mail address does not match the secure address it is uploaded for."
    ),
    ErrorCode.AUTHENTICATION_FAILED: ErrorSpec(
        Outcome.UNAUTHORISED, 401, "5.7.8",
        "The API token is missing, unknown or revoked. Send 'Authorization: Bearer <token>' with the "
        "token issued for your sender system.",
    ),
    ErrorCode.CLIENT_CERTIFICATE_MISSING: ErrorSpec(
        Outcome.UNAUTHORISED, 401, "5.7.8",
        "This hub requires mutual TLS: no verified client certificate came with the request. Connect "
        "through the hub's TLS endpoint and present the certificate registered for your sender system.",
    ),
    ErrorCode.CLIENT_CERTIFICATE_MISMATCH: ErrorSpec(
        Outcome.UNAUTHORISED, 401, "5.7.8",
        "The client certificate is not the one registered for the sender system whose token was used. "
        "Present the registered certificate, or register the new one in the administration portal.",
    ),
    ErrorCode.MESSAGE_NOT_FOUND: ErrorSpec(
        Outcome.NOT_FOUND, 404, "5.1.0",
        "No such message is visible to you. Check the identifier.",
    ),
    ErrorCode.MESSAGE_ALREADY_ACKNOWLEDGED: ErrorSpec(
        Outcome.CONFLICT, 409, "5.7.0",
        "The message was already acknowledged (deleted, or a business receipt with another status was given). "
        "A business receipt can be given once, before the message is deleted.",
    ),
    ErrorCode.CONTACT_ID_INVALID: _invalid(
        "A CPR number has 10 digits and a CVR number 8 digits. Check the number you looked up."
    ),
    ErrorCode.LOOKUP_TOO_MANY: _invalid("Look up at most 1000 contacts in one request."),
    ErrorCode.REQUEST_INVALID: _invalid("The request is not valid. The detail names the field to fix."),
    ErrorCode.REQUEST_TOO_LARGE: ErrorSpec(
        Outcome.INVALID, 413, "5.3.4",
        "The request body is larger than this address accepts, so it was not read. Send forms and uploads "
        "within the limits in docs/deploy.md (large documents through the MeMo API).",
    ),
    ErrorCode.REQUEST_TOO_SLOW: ErrorSpec(
        Outcome.INVALID, 408, "4.4.2",
        "The request body arrived too slowly and the connection was closed. Send it again over a faster "
        "connection.",
    ),
    ErrorCode.SUBMISSIONS_TOO_MANY: ErrorSpec(
        Outcome.NOT_ALLOWED, 429, "4.7.0",
        "This sender system already has as many large messages being received as the hub takes at once. "
        "Wait for an answer to one of them (see Retry-After) and send this one again.",
    ),
    ErrorCode.SESSIONS_TOO_MANY: ErrorSpec(
        Outcome.NOT_ALLOWED, 421, "4.7.0",
        "The mail gateway has as many connections open as it takes at once. Try again in a few minutes; "
        "your mail server does this by itself.",
    ),
    ErrorCode.SESSION_TOO_LONG: ErrorSpec(
        Outcome.NOT_ALLOWED, 421, "4.4.2",
        "The SMTP session was idle too long or lasted longer than allowed, and was closed. Your mail server "
        "sends the mail again by itself.",
    ),
    ErrorCode.INTERNAL_ERROR: ErrorSpec(
        Outcome.INTERNAL, 500, "4.3.0",
        "Something went wrong on our side. Nothing was accepted; try again later.",
    ),
    ErrorCode.HUB_TRUST_ANCHORS_UNREADABLE: ErrorSpec(
        Outcome.INTERNAL, 503, "4.3.0",
        "The hub cannot read its trust anchors (DIGITALPOST_TRUST_ANCHORS), so it cannot check any certificate: "
        "secure mail waits and certificate uploads are refused until the hub's operator fixes the file.",
    ),
    ErrorCode.ORGANISATION_NOT_FOUND: ErrorSpec(
        Outcome.NOT_FOUND, 404, "5.1.0",
        "No such organisation is visible to you. Check the CVR number, or ask a superadministrator of the "
        "organisation to give you a role.",
    ),
    ErrorCode.ROLE_NOT_ALLOWED: ErrorSpec(
        Outcome.NOT_ALLOWED, 403, "5.7.1",
        "Your role in this organisation does not allow this. The detail names the roles that may; ask a "
        "superadministrator of the organisation.",
    ),
    ErrorCode.SIGN_IN_REQUIRED: ErrorSpec(
        Outcome.UNAUTHORISED, 401, "5.7.8",
        "Sign in first. For the admin API send 'Authorization: Bearer <token>' with a personal admin token "
        "issued in the portal.",
    ),
    ErrorCode.LAST_SUPERADMINISTRATOR: ErrorSpec(
        Outcome.CONFLICT, 409, "5.7.0",
        "An organisation must always keep at least one superadministrator (two are recommended). Give the "
        "role to someone else first.",
    ),
    ErrorCode.USER_NOT_FOUND: ErrorSpec(
        Outcome.NOT_FOUND, 404, "5.1.0", "No such user in this organisation. Check the user name."
    ),
    ErrorCode.OBJECT_NOT_FOUND: ErrorSpec(
        Outcome.NOT_FOUND, 404, "5.1.0",
        "No such object in this organisation. It may have been deleted; reload the list.",
    ),
    ErrorCode.NAME_TAKEN: ErrorSpec(
        Outcome.CONFLICT, 409, "5.7.0", "The name is already used in this organisation. Choose another name."
    ),
    ErrorCode.SECURE_ADDRESS_IN_USE: ErrorSpec(
        Outcome.CONFLICT, 409, "5.7.0",
        "Mailboxes still deliver to this secure address (the detail lists them). Point them at another "
        "receiver system first, or choose one to re-point them to while deleting.",
    ),
    ErrorCode.RECEIVER_SYSTEM_IN_USE: ErrorSpec(
        Outcome.CONFLICT, 409, "5.7.0",
        "Mailboxes still deliver to this receiver system (the detail lists them). Point them elsewhere first.",
    ),
    ErrorCode.MAILBOX_IN_USE: ErrorSpec(
        Outcome.CONFLICT, 409, "5.7.0",
        "The mailbox is still used (the detail says by what: sub-mailboxes, materials or conversations). "
        "Close it for inquiries instead, or move what uses it first.",
    ),
    ErrorCode.STANDARD_MAILBOX_REQUIRED: _invalid(
        "A material with reply rule 'standard mailbox' needs a standard mailbox. Mark one mailbox as the "
        "standard mailbox first, or choose a named mailbox."
    ),
    ErrorCode.STANDARD_SENDER_SYSTEM_REQUIRED: _invalid(
        "The organisation has no standard sender system, so replies cannot be sent. Mark a sender system "
        "as standard under Sender systems."
    ),
    ErrorCode.STANDARD_SENDER_SYSTEM_REMOVAL: ErrorSpec(
        Outcome.CONFLICT, 409, "5.7.0",
        "This is the standard sender system: replies depend on it. Make another system the standard first.",
    ),
    ErrorCode.SENDER_CERTIFICATE_REQUIRED: _invalid(
        "A secure-mail sender system signs with its certificate: upload the certificate (PEM, DER or "
        "PKCS#12 without password) together with the system."
    ),
    ErrorCode.IP_NOT_ALLOWED: ErrorSpec(
        Outcome.UNAUTHORISED, 403, "5.7.1",
        "The request comes from an address outside the sender system's IP allow-list. Call from an allowed "
        "address, or add this one to the allow-list in the portal.",
    ),
    ErrorCode.IP_ALLOWLIST_INVALID: _invalid(
        "The IP allow-list has an entry that is not an IP address or network (e.g. 192.0.2.10 or "
        "192.0.2.0/24). The detail names it."
    ),
    ErrorCode.RECEIVER_ENDPOINT_NOT_ALLOWED: _invalid(
        "The hub does not deliver to this endpoint address: REST push goes to public internet addresses only. "
        "Give the https:// address your receiving system is reached at from the internet, or ask the platform "
        "operator to allow your network."
    ),
    ErrorCode.RECALL_TOO_LATE: ErrorSpec(
        Outcome.CONFLICT, 409, "5.7.0",
        "The message can no longer be recalled: its delivery date has come or it has been delivered.",
    ),
    ErrorCode.RECALL_NOT_POSSIBLE: ErrorSpec(
        Outcome.CONFLICT, 409, "5.7.0",
        "Only messages sent with a later delivery date (doNotDeliverUntilDate) can be recalled, and only once.",
    ),
    ErrorCode.INQUIRY_NOT_FOUND: ErrorSpec(
        Outcome.NOT_FOUND, 404, "5.1.0",
        "No such inquiry in your mailboxes. It may belong to a mailbox you are not caseworker for.",
    ),
    ErrorCode.REPLY_EMPTY: _invalid("Write a reply text (attachments alone are not a reply)."),
    ErrorCode.ARCHIVE_DAMAGED: _invalid(
        "The mass-send archive could not be read to its end: it is not an LZMA-compressed tar, or it is truncated "
        "or corrupt. The items before the damage were handled and keep their receipts (the detail says how many); "
        "send the complete archive again: items already accepted are recognised by their messageUUID and only "
        "replay their receipts."
    ),
    ErrorCode.MASS_SEND_NOT_FOUND: ErrorSpec(
        Outcome.NOT_FOUND, 404, "5.1.0",
        "No such mass send for this sender system. Use the massSendId returned when the archive was sent, with the "
        "same system's token.",
    ),
    ErrorCode.PRINT_PROVIDER_HOST_KEY_MISMATCH: ErrorSpec(
        Outcome.INTERNAL, 502, "4.4.0",
        "The print provider's SFTP server presented a host key other than the configured one, so no letters "
        "were uploaded. Ask the provider whether its key changed and, if so, put the new key or its SHA256 "
        "fingerprint in DIGITALPOST_PRINT_SFTP_HOST_KEY; otherwise something is intercepting the connection.",
    ),
    ErrorCode.PRINT_PROVIDER_FAILED: ErrorSpec(
        Outcome.INTERNAL, 502, "4.4.0",
        "The print provider's SFTP server could not be reached, refused the hub's login or failed a file "
        "operation (the detail says which); the letters wait and are uploaded on the next pass. Check "
        "DIGITALPOST_PRINT_SFTP_HOST, _PORT, _USER, _KEY_FILE and _FOLDER, and that the provider has the hub's "
        "public key.",
    ),
    ErrorCode.SIGNIN_CANCELLED: _signin(
        "The sign-in was cancelled or refused at MitID, so nobody is signed in. Start again if you want to sign in."
    ),
    ErrorCode.SIGNIN_STATE_INVALID: _signin(
        "This sign-in answer does not belong to a sign-in started in this browser, or it was used already (for "
        "example with the Back button). Nobody is signed in; start the sign-in again."
    ),
    ErrorCode.SIGNIN_SIGNATURE_INVALID: _signin(
        "The identity token's signature does not match the identity provider's published keys. Nobody is signed "
        "in. If it happens again, tell the hub's operator: the token may have been tampered with."
    ),
    ErrorCode.SIGNIN_AUDIENCE_WRONG: _signin(
        "The identity token was issued to another service, not to this hub. Nobody is signed in; start the "
        "sign-in again from this hub."
    ),
    ErrorCode.SIGNIN_ISSUER_WRONG: _signin(
        "The identity token was issued by another identity provider than the configured one. Nobody is signed in."
    ),
    ErrorCode.SIGNIN_ID_EXPIRED: _signin(
        "The identity token has expired (or the clocks of the hub and the identity provider differ too much). "
        "Nobody is signed in; start the sign-in again."
    ),
    ErrorCode.SIGNIN_NONCE_WRONG: _signin(
        "The identity token belongs to another sign-in (its nonce does not match), so it may be replayed. Nobody "
        "is signed in; start the sign-in again."
    ),
    ErrorCode.SIGNIN_ID_INVALID: _signin(
        "The identity token could not be read or misses a required part. Nobody is signed in. If it happens "
        "again, tell the hub's operator."
    ),
    ErrorCode.SIGNIN_LOA_TOO_LOW: _signin(
        "Your sign-in has a lower level of assurance than Digital Post requires. Sign in again with MitID at "
        "level Substantial or High (for example with the MitID app instead of a code display)."
    ),
    ErrorCode.SIGNIN_CPR_MISSING: _signin(
        "The identity provider did not say which person signed in (no CPR number and no company number), so "
        "no mailbox can be opened. Nobody is signed in; ask the hub's operator to check the sign-in set-up."
    ),
    ErrorCode.SIGNIN_NO_MAILBOX: _signin(
        "You are signed in at MitID, but this hub holds no Digital Post mailbox for you. Nobody is signed in here."
    ),
    ErrorCode.SIGNIN_COMPANY_ACCESS_MISSING: _signin(
        "You signed in as an employee of a company, but the company has not given you access to its Digital Post. "
        "Ask the company's administrator for the right; nobody is signed in."
    ),
    ErrorCode.SIGNIN_PROVIDER_UNAVAILABLE: ErrorSpec(
        Outcome.INTERNAL, 502, "4.4.0",
        "The identity provider could not be reached or answered with an error, so nobody is signed in. Try again "
        "in a moment.",
    ),
    ErrorCode.SIGNIN_SESSION_EXPIRED: _signin(
        "You were signed out because the session was idle too long or reached its time limit. Sign in again."
    ),
    ErrorCode.COMPANY_ACCESS_NOT_ALLOWED: _not_allowed(
        "Only the company's administrator may give or take away access to the company's Digital Post."
    ),
    ErrorCode.FOLDER_NAME_INVALID: _invalid("A folder's name must have 1 to 80 characters. Write another name."),
    ErrorCode.FOLDER_NAME_TAKEN: ErrorSpec(
        Outcome.CONFLICT, 409, "5.7.0", "You already have a folder with that name. Choose another name."),
    ErrorCode.SIGNIN_STAFF_NOT_MEMBER: _signin(
        "Your organisation's sign-on named a user who is not a member of the organisation in the portal. Nobody "
        "is signed in; ask your organisation's superadministrator to add you with the user name your sign-on gives."
    ),
    ErrorCode.INVITATION_INVALID: ErrorSpec(
        Outcome.NOT_FOUND, 404, "5.1.0",
        "The invitation link is not valid: it was used already, withdrawn, has expired or was copied incompletely. "
        "Ask the organisation's administrator for a new invitation.",
    ),
    ErrorCode.INVITATION_NOT_PENDING: ErrorSpec(
        Outcome.CONFLICT, 409, "5.7.0",
        "Only a pending invitation can be withdrawn; this one was accepted, has expired or was withdrawn already.",
    ),
    ErrorCode.INVITATIONS_TOO_MANY: ErrorSpec(
        Outcome.NOT_ALLOWED, 429, "4.7.0",
        "The organisation has sent as many invitations in the last 24 hours as the hub allows. Invite the rest "
        "tomorrow, or ask the hub's operator to raise DIGITALPOST_INVITATIONS_PER_DAY.",
    ),
    ErrorCode.SIGNIN_STAFF_NAME_TAKEN: _signin(
        "Your organisation's sign-on named a user name that belongs to an existing account, so the invitation "
        "cannot be accepted through the sign-on. Sign in with that account as usual, then open the invitation "
        "link again and accept it."
    ),
    ErrorCode.PUSH_ENDPOINT_URL_INVALID: _invalid(
        "The push endpoint must be an https:// URL with a host name, at most 500 characters. The hub pushes "
        "receipts only over verified HTTPS."
    ),
    ErrorCode.PUSH_SIGNING_INVALID: _invalid(
        "Choose how pushes are signed: HMAC (a secret for this endpoint, shown once) or RSA (the hub's key; "
        "only when the hub has an RSA key). The detail says what was wrong."
    ),
    ErrorCode.PUSH_EVENT_TYPE_UNKNOWN: _invalid(
        "An event type to push is not one the hub knows (the detail names it). Choose from received, delivered, "
        "legally_notified, read, printed, returned, refused and failed, or leave the list empty for all."
    ),
    ErrorCode.PUSH_ENDPOINT_INACTIVE: ErrorSpec(
        Outcome.CONFLICT, 409, "5.7.0",
        "The push endpoint is deactivated (it failed for days, or an administrator switched it off). Repair "
        "it and reactivate it in the portal or the admin API; the events that waited are then pushed in order.",
    ),
    ErrorCode.ATTORNEY_HOLDER_UNKNOWN: _invalid(
        "No citizen with this CPR number has a Digital Post mailbox here, so they cannot hold a power of attorney. "
        "Check the number; the person must be registered for Digital Post."
    ),
    ErrorCode.ATTORNEY_HOLDER_SELF: _invalid(
        "A power of attorney is given to another person: the holder's CPR number is the grantor's own."
    ),
    ErrorCode.ATTORNEY_PERIOD_INVALID: _invalid(
        "The period of the power of attorney is not possible: it cannot end before it starts or before today, and "
        "lasts at most 10 years. Choose other dates."
    ),
    ErrorCode.ATTORNEY_REASON_MISSING: _invalid(
        "Write why citizen service registers this power of attorney for the citizen (e.g. what the citizen asked "
        "for at the desk). The reason is kept in the audit log."
    ),
    ErrorCode.ATTORNEY_NOT_ACTIVE: _not_allowed(
        "This power of attorney has ended or has not started yet, so the mailbox cannot be opened through it. "
        "You are back in your own mailbox."
    ),
    ErrorCode.ATTORNEY_READ_ONLY: _not_allowed(
        "Your power of attorney for this mailbox lets you read only. Ask the person who gave it for read-and-write "
        "access if you are to write or forward for them."
    ),
    ErrorCode.ATTORNEY_FOLDERS_INVALID: _invalid(
        "A power of attorney limited to folders needs at least one folder, and only the grantor's own: Inbox, "
        "Sent or a folder of their own (never Deleted). Tick the folders, or choose the whole mailbox."
    ),
    ErrorCode.ATTORNEY_OUTSIDE_FOLDERS: _not_allowed(
        "Your power of attorney covers only the folders the person chose, and this would reach beyond them: moving "
        "post out of them, deleting it, changing the folders, or writing when Sent is not among them. Ask the "
        "person who gave it to add the folder."
    ),
    ErrorCode.FORWARD_RECIPIENT_UNKNOWN: _invalid(
        "No citizen or company with this number has a Digital Post mailbox here. Check the CPR number (10 digits) "
        "or CVR number (8 digits)."
    ),
    ErrorCode.FORWARD_RECIPIENT_NOT_DIGITAL: _not_allowed(
        "The recipient does not receive Digital Post (exempt or closed), so the letter cannot be forwarded to them "
        "here. Give them a printed copy instead."
    ),
    ErrorCode.FORWARD_EMAIL_OFF: _not_allowed(
        "This hub does not forward letters to e-mail addresses. Forward the letter to the person's Digital Post "
        "instead (CPR or CVR number)."
    ),
}


# Danish wording for the refusals that reach people outside the hub's pages (bounced mail to authorities'
# mail programs, where staff may read either language), and for the sign-in refusals a citizen reads on the
# mailbox's refusal page. Other pages use Django's translations instead.
DANISH: dict[ErrorCode, str] = {
    ErrorCode.SESSIONS_TOO_MANY: (
        "Mailgatewayen har så mange forbindelser åbne, som den tager ad gangen. Prøv igen om nogle minutter; "
        "jeres mailserver gør det selv."
    ),
    ErrorCode.SESSION_TOO_LONG: (
        "SMTP-sessionen var inaktiv for længe eller varede længere end tilladt og blev lukket. Jeres mailserver "
        "sender mailen igen af sig selv."
    ),
    ErrorCode.HUB_TRUST_ANCHORS_UNREADABLE: (
        "Hubben kan ikke læse sine tillidsankre (DIGITALPOST_TRUST_ANCHORS), så den kan ikke kontrollere "
        "certifikater: sikker post venter, og certifikater kan ikke uploades, før hubbens driftsansvarlige retter "
        "filen."
    ),
    ErrorCode.THREAD_MISSING: (
        "Svaret mangler dialogtråden. Svar på den meddelelse, I modtog, og behold vedhæftningen "
        "dkaldialogtraad.xml (og [DP:…] i emnefeltet); skriv ikke en ny mail."
    ),
    ErrorCode.THREAD_INVALID: (
        "Svarets dialogtråd er ændret eller ikke udstedt af os. Svar på den oprindelige meddelelse uden at "
        "ændre vedhæftningen dkaldialogtraad.xml."
    ),
    ErrorCode.THREAD_NOT_YOURS: (
        "Dialogtråden hører til en anden myndigheds samtale. Svar fra den myndighed, borgeren skrev til."
    ),
    ErrorCode.REPLY_NOT_ALLOWED: "Der kan ikke svares i denne samtale (meddelelsen sagde 'intet svar').",
    ErrorCode.REPLY_REFERENCE_UNKNOWN: (
        "Modtaget som et nyt brev, ikke som svar: ingen ReplyData i MeMo'en peger på en samtale hos jeres "
        "organisation, som hubben kender. Kopier ReplyData fra henvendelsen præcis som jeres modtagersystem fik "
        "den (messageUUID og dialogtraad) for at svare i samtalen."
    ),
    ErrorCode.REPLY_RECIPIENT_MISMATCH: (
        "Svarets modtager er ikke den borger eller virksomhed, samtalen er med. Send svaret til den, der skrev "
        "(henvendelsens afsender), eller udelad ReplyData for at skrive et nyt brev."
    ),
    ErrorCode.REPLY_SENDER_NOT_ALLOWED: (
        "Dette afsendersystem må ikke svare i samtaler: over REST kommer svar fra organisationens standard "
        "afsendersystem eller et REST-afsendersystem (et sikker post-system svarer med sikker post)."
    ),
    ErrorCode.REPLY_THREAD_INVALID: (
        "Svarets ReplyData peger på samtalen på en måde, hubben ikke kan bruge: dialogtraad er ændret eller ikke "
        "udstedt af hubben, eller ReplyData peger på to forskellige samtaler. Kopier ReplyData fra den ene "
        "henvendelse, I svarer på, præcis som modtagersystemet fik den."
    ),
    ErrorCode.SIGNATURE_MISSING: "Mailen er ikke signeret. Signer den med jeres afsendersystems S/MIME-certifikat.",
    ErrorCode.SIGNATURE_INVALID: (
        "Mailens signatur passer ikke til indholdet. Mailen er ændret efter signering; send den igen fra jeres "
        "mailsystem."
    ),
    ErrorCode.SENDER_CERTIFICATE_UNKNOWN: (
        "Mailen er signeret med et certifikat, der ikke er registreret for nogen af jeres afsendersystemer. "
        "Upload certifikatet i administrationsportalen under Systemer."
    ),
    ErrorCode.SENDER_CERTIFICATE_EXPIRED: (
        "Certifikatet, mailen er signeret med, er udløbet. Forny det og upload det nye certifikat i "
        "administrationsportalen."
    ),
    ErrorCode.SENDER_NOT_STANDARD_SYSTEM: (
        "Simple svar modtages kun fra jeres standard afsendersystem. Signer med standardsystemets certifikat "
        "eller gør et andet system til standard."
    ),
    ErrorCode.ENCRYPTION_MISSING: "Mailen er ikke krypteret. Krypter den til hubbens certifikat, før den sendes.",
    ErrorCode.ENCRYPTION_ALGORITHM_UNSUPPORTED: (
        "Mailen er krypteret med en algoritme, vi ikke modtager (vi modtager RSA eller ECDH med AES-CBC, AES-GCM "
        "eller, for gammel post, 3DES). Skift jeres S/MIME-indstilling til AES-256-CBC eller AES-GCM."
    ),
    ErrorCode.ENCRYPTION_WRONG_RECIPIENT: (
        "Mailen er krypteret, men ikke til hubbens certifikat. Krypter den til hubbens aktuelle certifikat (hent "
        "det igen, hvis hubben har fornyet det), og send den igen."
    ),
    ErrorCode.DECRYPTION_FAILED: (
        "Mailen er krypteret til hubbens certifikat, men kunne ikke dekrypteres: den er beskadiget undervejs eller "
        "forkert krypteret. Send den igen; fejler den igen, så tjek jeres S/MIME-indstillinger."
    ),
    ErrorCode.SIGNATURE_SHA1_REFUSED: (
        "Mailen er signeret med SHA-1, som denne organisation ikke længere accepterer. Indstil jeres mailprogram "
        "eller afsendersystem til at signere med SHA-256, og send den igen."
    ),
    ErrorCode.CERTIFICATE_CHAIN_SHA1: (
        "Certifikatet eller et af de certifikater, der har udstedt det, er signeret med SHA-1, som ikke længere er "
        "betroet. Bestil et certifikat, hvis hele kæde er signeret med SHA-256 eller bedre."
    ),
    ErrorCode.MESSAGE_TOO_LARGE: "Mailen er for stor. Send store dokumenter i flere mails.",
    ErrorCode.MAIL_MALFORMED: "Mailen kunne ikke læses som MIME. Send den fra et almindeligt mailprogram.",
    ErrorCode.LETTER_RECIPIENT_MISSING: (
        "Mailen har ingen dialogtråd og er derfor et nyt brev, men den nævner ingen modtager. Skriv "
        "'Modtager: <CPR- eller CVR-nummer>' alene på brødtekstens første linje, eller vedhæft "
        "digitalpost-letter.xml. Svar på en borgers henvendelse med Svar, så [DP:...] og dkaldialogtraad.xml bliver."
    ),
    ErrorCode.LETTER_RECIPIENT_INVALID: (
        "Brevets modtager er ikke et CPR-nummer (10 cifre) eller CVR-nummer (8 cifre). Ret linjen 'Modtager:' "
        "eller Recipient i digitalpost-letter.xml."
    ),
    ErrorCode.LETTER_METADATA_INVALID: (
        "Vedhæftningen digitalpost-letter.xml er ikke gyldig. Ret den, eller udelad den og skriv modtageren på "
        "brødtekstens første linje."
    ),
    ErrorCode.LETTER_BODY_EMPTY: (
        "Brevet har hverken tekst eller vedhæftning. Skriv brevet i mailen, eller vedhæft det."
    ),
    ErrorCode.LETTER_RECIPIENT_CONFLICT: (
        "Mailen er sendt til én modtagers gateway-adresse, men nævner en anden indeni (linjen 'Modtager:' eller "
        "digitalpost-letter.xml). Send den til hubbens adresse, eller ret så de to stemmer overens."
    ),
    ErrorCode.LETTER_GATEWAY_ADDRESS_OFF: (
        "Jeres organisation tager ikke imod breve sendt til <nummer>@<organisation>.<hubbens domæne>: nummeret "
        "ville rejse uden for krypteringen. Send brevet til hubbens adresse, og skriv modtageren i mailen."
    ),
    ErrorCode.LETTER_GATEWAY_ADDRESS_INVALID: (
        "Gateway-adressen nævner en anden organisation (eller en postkasse, der ikke er jeres) efter '@'. Brug "
        "<CPR eller CVR>@<jeres CVR eller et af jeres postkasse-id'er>.<hubbens domæne>, eller hubbens adresse."
    ),
    ErrorCode.RECIPIENT_UNKNOWN: (
        "Modtageren findes ikke i Digital Post. Kontrollér CPR- eller CVR-nummeret, eller send brevet med almindelig "
        "post."
    ),
    ErrorCode.RECIPIENT_IS_CLOSED: (
        "Modtagerens postkasse er lukket (fx død eller udrejst). Send brevet med almindelig post eller på anden vis."
    ),
    ErrorCode.RECIPIENT_IS_EXEMPT: (
        "Modtageren er fritaget for Digital Post, og afsendersystemet sender kun digitalt. Send brevet som papirpost "
        "(KombiPost) eller på anden vis."
    ),
    ErrorCode.FILE_EXTENSION_NOT_ALLOWED: (
        "Et dokument har en filtype, modtageren ikke kan åbne sikkert. Konverter det til en tilladt type, fx PDF."
    ),
    ErrorCode.FILE_NAME_NOT_ALLOWED: "Et filnavn indeholder et tegn, der ikke er tilladt. Omdøb filen.",
    ErrorCode.FILE_EMPTY_NOT_ALLOWED: "En fil er tom. Vedhæft filens indhold, eller udelad filen.",
    ErrorCode.ATTACHMENTS_TOO_MANY: "Meddelelsen har for mange vedhæftninger. Send højst det tilladte antal.",
    ErrorCode.SIGNIN_CANCELLED: (
        "Log-ind blev afbrudt eller afvist hos MitID, så ingen er logget ind. Start forfra, hvis du vil logge "
        "ind."
    ),
    ErrorCode.SIGNIN_STATE_INVALID: (
        "Svaret på log-ind hører ikke til et log-ind startet i denne browser, eller det er allerede brugt (fx med "
        "Tilbage-knappen). Ingen er logget ind; start log-ind forfra."
    ),
    ErrorCode.SIGNIN_SIGNATURE_INVALID: (
        "Identitetsbeviset er ikke underskrevet med identitetsudbyderens offentliggjorte nøgler. Ingen er logget "
        "ind. Sker det igen, så sig det til driften: beviset kan være forfalsket."
    ),
    ErrorCode.SIGNIN_AUDIENCE_WRONG: (
        "Identitetsbeviset er udstedt til en anden tjeneste end denne. Ingen er logget ind; start log-ind forfra "
        "herfra."
    ),
    ErrorCode.SIGNIN_ISSUER_WRONG: (
        "Identitetsbeviset er udstedt af en anden identitetsudbyder end den opsatte. Ingen er logget ind."
    ),
    ErrorCode.SIGNIN_ID_EXPIRED: (
        "Identitetsbeviset er udløbet (eller urene hos os og identitetsudbyderen går for forskelligt). Ingen er "
        "logget ind; start log-ind forfra."
    ),
    ErrorCode.SIGNIN_NONCE_WRONG: (
        "Identitetsbeviset hører til et andet log-ind (dets nonce passer ikke), så det kan være genbrugt. Ingen er "
        "logget ind; start log-ind forfra."
    ),
    ErrorCode.SIGNIN_ID_INVALID: (
        "Identitetsbeviset kunne ikke læses eller mangler en påkrævet del. Ingen er logget ind. Sker det igen, så "
        "sig det til driften."
    ),
    ErrorCode.SIGNIN_LOA_TOO_LOW: (
        "Dit log-ind har et lavere sikringsniveau, end Digital Post kræver. Log ind igen med MitID på niveau "
        "Betydelig eller Høj (fx med MitID-appen i stedet for en kodeviser)."
    ),
    ErrorCode.SIGNIN_CPR_MISSING: (
        "Identitetsudbyderen oplyste ikke, hvem der loggede ind (intet CPR-nummer og intet CVR-nummer), så ingen "
        "postkasse kan åbnes. Ingen er logget ind; bed driften tjekke opsætningen af log-ind."
    ),
    ErrorCode.SIGNIN_NO_MAILBOX: (
        "Du er logget ind hos MitID, men denne løsning har ingen Digital Post-postkasse til dig. Ingen er "
        "logget ind her."
    ),
    ErrorCode.SIGNIN_COMPANY_ACCESS_MISSING: (
        "Du loggede ind som medarbejder i en virksomhed, men virksomheden har ikke givet dig adgang til sin "
        "Digital Post. Bed virksomhedens administrator om rettigheden; ingen er logget ind."
    ),
    ErrorCode.SIGNIN_PROVIDER_UNAVAILABLE: (
        "Identitetsudbyderen kunne ikke nås eller svarede med en fejl, så ingen er logget ind. Prøv igen om "
        "lidt."
    ),
    ErrorCode.SIGNIN_SESSION_EXPIRED: (
        "Du er logget ud, fordi sessionen var uden aktivitet for længe eller nåede sin tidsgrænse. Log ind "
        "igen."
    ),
    ErrorCode.COMPANY_ACCESS_NOT_ALLOWED: (
        "Kun virksomhedens administrator kan give eller fjerne adgang til virksomhedens Digital Post."
    ),
    ErrorCode.FOLDER_NAME_INVALID: "En mappes navn skal have 1 til 80 tegn. Skriv et andet navn.",
    ErrorCode.FOLDER_NAME_TAKEN: "Du har allerede en mappe med det navn. Vælg et andet navn.",
    ErrorCode.ATTORNEY_HOLDER_UNKNOWN: (
        "Ingen borger med dette CPR-nummer har en Digital Post-postkasse her, så de kan ikke have en fuldmagt. "
        "Tjek nummeret; personen skal være tilmeldt Digital Post."
    ),
    ErrorCode.ATTORNEY_HOLDER_SELF: "En fuldmagt gives til en anden person: fuldmægtigens CPR-nummer er dit eget.",
    ErrorCode.ATTORNEY_PERIOD_INVALID: (
        "Fuldmagtens periode er ikke mulig: den kan ikke slutte før den begynder eller før i dag, og varer højst "
        "10 år. Vælg andre datoer."
    ),
    ErrorCode.ATTORNEY_REASON_MISSING: (
        "Skriv hvorfor borgerservice registrerer fuldmagten for borgeren (f.eks. hvad borgeren bad om ved "
        "skranken). Begrundelsen gemmes i revisionsloggen."
    ),
    ErrorCode.ATTORNEY_NOT_ACTIVE: (
        "Fuldmagten er ophørt eller er ikke begyndt endnu, så postkassen kan ikke åbnes med den. Du er tilbage i "
        "din egen postkasse."
    ),
    ErrorCode.ATTORNEY_READ_ONLY: (
        "Din fuldmagt til denne postkasse giver kun ret til at læse. Bed den, der gav fuldmagten, om ret til at "
        "læse og skrive, hvis du skal skrive eller videresende for dem."
    ),
    ErrorCode.ATTORNEY_FOLDERS_INVALID: (
        "En fuldmagt til udvalgte mapper skal have mindst én mappe, og kun fuldmagtsgiverens egne: Indbakke, "
        "Sendt eller en af deres egne mapper (aldrig Slettet). Sæt flueben ved mapperne, eller vælg hele postkassen."
    ),
    ErrorCode.ATTORNEY_OUTSIDE_FOLDERS: (
        "Din fuldmagt gælder kun de mapper, personen har valgt, og dette ville række ud over dem: flytte post ud "
        "af dem, slette den, ændre mapperne eller skrive, når Sendt ikke er blandt dem. Bed den, der gav "
        "fuldmagten, om at tilføje mappen."
    ),
    ErrorCode.FORWARD_RECIPIENT_UNKNOWN: (
        "Ingen borger eller virksomhed med dette nummer har en Digital Post-postkasse her. Tjek CPR-nummeret "
        "(10 cifre) eller CVR-nummeret (8 cifre)."
    ),
    ErrorCode.FORWARD_RECIPIENT_NOT_DIGITAL: (
        "Modtageren får ikke Digital Post (fritaget eller lukket), så brevet kan ikke videresendes til dem her. "
        "Giv dem en udskrift i stedet."
    ),
    ErrorCode.FORWARD_EMAIL_OFF: (
        "Denne hub videresender ikke breve til e-mailadresser. Videresend brevet til personens Digital Post i "
        "stedet (CPR- eller CVR-nummer)."
    ),
    ErrorCode.INVITATION_INVALID: (
        "Invitationslinket er ikke gyldigt: det er brugt, trukket tilbage, udløbet eller kopieret ufuldstændigt. "
        "Bed organisationens administrator om en ny invitation."
    ),
    ErrorCode.INVITATIONS_TOO_MANY: (
        "Organisationen har sendt så mange invitationer det seneste døgn, som hubben tillader. Invitér resten i "
        "morgen, eller bed hubbens driftsansvarlige om at hæve DIGITALPOST_INVITATIONS_PER_DAY."
    ),
    ErrorCode.SIGNIN_STAFF_NAME_TAKEN: (
        "Jeres organisations log-in gav et brugernavn, som en eksisterende bruger har, så invitationen kan ikke "
        "accepteres via det log-in. Log ind med den bruger som sædvanligt, åbn invitationslinket igen og acceptér."
    ),
}


class DigitalPostError(Exception):
    """A refusal with a catalogue code; `detail` names the exact place or value."""

    def __init__(self, code: ErrorCode, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {self.text}")

    @property
    def spec(self) -> ErrorSpec:
        return CATALOGUE[self.code]

    @property
    def text(self) -> str:
        return f"{self.spec.text} ({self.detail})" if self.detail else self.spec.text


def catalogue_markdown() -> str:
    """docs/errors.md, generated from the catalogue (`digitalpost errors > docs/errors.md`)."""
    lines = [
        "# Error codes",
        "",
        "Every refusal carries one of these codes. Over HTTP a refused MeMo gets a receipt with `receiptStatus`,",
        "`errorCode` and `errorMessage`; other API errors are `application/problem+json` with `errorCode`.",
        "This page is generated from `src/digitalpost/core/errors.py`; a test fails when they drift apart.",
        "",
        "| code | outcome | HTTP | SMTP | meaning and what to do | dansk (bounces) |",
        "|---|---|---|---|---|---|",
    ]
    for code, spec in CATALOGUE.items():
        text = spec.text.replace("|", "\\|")
        danish = DANISH.get(code, "").replace("|", "\\|")
        lines.append(f"| `{code}` | {spec.outcome} | {spec.http} | {spec.smtp} | {text} | {danish} |")
    return "\n".join(lines) + "\n"
