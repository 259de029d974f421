"""The mail the hub sends to an authority's secure address when a citizen writes to one of its mailboxes.

Subject "<mailbox>[ / <topic>]: <citizen's subject> [DP:<token>]"; a text part with the citizen's text and a
short note on how to reply correctly; the citizen's files; `dkalmetadata.xml`; `dkaldialogtraad.xml`.
`build_inner_entity` is what protocols/smime signs and encrypts; `inquiry_envelope` the headers that stay
outside; `build_inquiry_mail` both joined (unencrypted, for tests and local development). Not for: crypto,
delivery, deciding who may write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from digitalpost.protocols.mail.metadata import (
    METADATA_FILENAME,
    METADATA_MEDIA_TYPE,
    InquiryMetadata,
    attachment_filename,
    describe_attachments,
    render_metadata_file,
)
from digitalpost.protocols.mail.mime import (
    Envelope,
    FileContent,
    make_message_id,
    mixed_entity,
    with_envelope,
)
from digitalpost.protocols.threads import (
    THREAD_FILE_MEDIA_TYPE,
    THREAD_FILENAME,
    ReplyRule,
    ThreadRef,
    render_thread_file,
    tag_subject,
)

REPLY_NOTE = f"""\
------------------------------------------------------------------
Sådan svarer I: Brug "Svar" i jeres postsystem, og send svaret som
sikker mail fra jeres standard-afsendersystem. Behold vedhæftningen
{THREAD_FILENAME} uændret, og lad [DP:…] stå i emnelinjen,
ellers kan svaret ikke nå frem til borgeren.
{METADATA_FILENAME} beskriver henvendelsen.

How to reply: use "Reply" in your mail program, and send the reply
as secure mail from your standard sender system. Keep the attachment
{THREAD_FILENAME} unchanged and leave [DP:…] in the subject,
or the reply cannot reach the citizen.
{METADATA_FILENAME} describes the inquiry.
"""
NO_REPLY_NOTE = """\
------------------------------------------------------------------
Der kan ikke svares i denne tråd. / Replies are not possible in this thread.
"""


def inquiry_subject(meta: InquiryMetadata, subject_text: str, thread_token: str) -> str:
    """"<mailbox>[ / <topic>]: <citizen's subject> [DP:<token>]"."""
    where = f"{meta.mailbox_name} / {meta.topic}" if meta.topic else meta.mailbox_name
    # Exotic Unicode spaces do not survive RFC 2047 encoding and folding: write them as plain spaces.
    return tag_subject(" ".join(f"{where}: {subject_text}".split()), thread_token)


def inquiry_envelope(
    *, meta: InquiryMetadata, subject_text: str, thread_token: str, from_addr: str, to_addr: str,
    message_id_domain: str, now: datetime,
) -> Envelope:
    """The outside headers; Message-ID is derived from the message id, so a retried delivery keeps it."""
    return Envelope(
        from_addr=from_addr, to_addr=to_addr, subject=inquiry_subject(meta, subject_text, thread_token),
        message_id=make_message_id(meta.message_id, message_id_domain), date=now, thread_token=thread_token,
    )


def build_inner_entity(
    *, meta: InquiryMetadata, body_text: str, attachments: Sequence[tuple[str, str, FileContent]], thread_token: str,
) -> bytes:
    """The multipart/mixed entity (text, citizen's files, metadata file, thread file) with the thread header.

    A file's content may be given as its base64 text (`EncodedContent`), copied into the mail as it is.
    `meta.attachments` must equal `describe_attachments(attachments)`: the authority checks files against it.
    A citizen's file named like one of the hub's files is renamed `bilag-<name>` (see `attachment_filename`).
    """
    if describe_attachments(attachments) != meta.attachments:
        raise ValueError("meta.attachments does not describe the attachments given")
    note = NO_REPLY_NOTE if meta.reply_rule is ReplyRule.NO_REPLY else REPLY_NOTE
    ref = ThreadRef(thread_id=meta.thread_id, authority_cvr=meta.authority_cvr, mailbox_id=meta.mailbox_id,
                    reply_rule=meta.reply_rule)
    files = [(attachment_filename(filename), media_type, content) for filename, media_type, content in attachments]
    files.append((METADATA_FILENAME, METADATA_MEDIA_TYPE, render_metadata_file(meta)))
    files.append((THREAD_FILENAME, THREAD_FILE_MEDIA_TYPE, render_thread_file(ref, thread_token)))
    return mixed_entity(text=f"{body_text.rstrip()}\n\n{note}", files=files, thread_token=thread_token,
                        boundary_seed=meta.message_id.hex)


def build_inquiry_mail(
    *, meta: InquiryMetadata, subject_text: str, body_text: str, attachments: Sequence[tuple[str, str, bytes]],
    thread_token: str, from_addr: str, to_addr: str, message_id_domain: str, now: datetime,
) -> bytes:
    """The whole RFC 5322 message, unencrypted: `inquiry_envelope` + `build_inner_entity`."""
    envelope = inquiry_envelope(
        meta=meta, subject_text=subject_text, thread_token=thread_token, from_addr=from_addr, to_addr=to_addr,
        message_id_domain=message_id_domain, now=now,
    )
    entity = build_inner_entity(meta=meta, body_text=body_text, attachments=attachments, thread_token=thread_token)
    return with_envelope(envelope, entity)
