"""Secure-mail MIME: the inquiry the hub forwards to an authority, replies, the metadata file, bounces.

`build_inner_entity` / `inquiry_envelope` / `build_inquiry_mail` assemble what an authority receives (slide
20 of the talk: mailbox name in the subject, the citizen's files, `dkalmetadata.xml`, `dkaldialogtraad.xml`);
`parse_reply` reads what comes back and finds the dialog-thread carriers; `build_reply_entity` is the reply
assistant's side; `build_bounce` / `read_bounce` are RFC 3464 DSNs with our error codes. Bytes in, values out,
CRLF out; never imports Django. Not for: S/MIME (protocols/smime), SMTP, or filing replies.
"""

from digitalpost.protocols.mail.dsn import CODE_HEADER, Bounce, build_bounce, read_bounce
from digitalpost.protocols.mail.forward import (
    build_inner_entity,
    build_inquiry_mail,
    inquiry_envelope,
    inquiry_subject,
)
from digitalpost.protocols.mail.letter import (
    LETTER_FILENAME,
    LETTER_NAMESPACE,
    GatewayAddress,
    LetterOrder,
    LetterReceipt,
    build_letter_mail,
    build_receipt_entity,
    parse_gateway_address,
    read_letter_file,
    read_recipient_line,
    render_letter_file,
)
from digitalpost.protocols.mail.metadata import (
    METADATA_FILENAME,
    METADATA_MEDIA_TYPE,
    METADATA_NAMESPACE,
    AttachmentInfo,
    IdentityType,
    InquiryMetadata,
    attachment_filename,
    describe_attachments,
    read_metadata_file,
    render_metadata_file,
)
from digitalpost.protocols.mail.mime import (
    EncodedContent,
    Envelope,
    FileContent,
    MailAttachment,
    content_bytes,
    make_message_id,
    render_envelope,
    with_envelope,
)
from digitalpost.protocols.mail.reply import (
    ParsedReply,
    build_reply_entity,
    html_to_text,
    parse_reply,
    reply_envelope,
    reply_subject,
)

__all__ = [
    "CODE_HEADER", "LETTER_FILENAME", "LETTER_NAMESPACE", "METADATA_FILENAME", "METADATA_MEDIA_TYPE",
    "METADATA_NAMESPACE", "AttachmentInfo", "Bounce", "EncodedContent", "Envelope", "FileContent", "GatewayAddress",
    "IdentityType",
    "InquiryMetadata", "LetterOrder", "LetterReceipt", "MailAttachment", "ParsedReply", "attachment_filename",
    "build_bounce", "build_inner_entity", "build_inquiry_mail", "build_letter_mail", "build_receipt_entity",
    "build_reply_entity", "content_bytes", "describe_attachments", "html_to_text", "inquiry_envelope",
    "inquiry_subject", "make_message_id", "parse_gateway_address", "parse_reply", "read_bounce", "read_letter_file",
    "read_metadata_file", "read_recipient_line", "render_envelope", "render_letter_file", "render_metadata_file",
    "reply_envelope", "reply_subject", "with_envelope",
]
