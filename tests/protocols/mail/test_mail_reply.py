"""Reading replies: our own mail read back, Outlook-shaped replies, each thread carrier alone, refusals, and
the reply assistant's reply that keeps the thread."""

from __future__ import annotations

import base64
from email.header import Header

import pytest

from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.protocols.mail import (
    build_reply_entity,
    parse_reply,
    read_metadata_file,
    reply_envelope,
    with_envelope,
)
from digitalpost.protocols.threads import (
    Carrier,
    ThreadCarriers,
    render_thread_file,
    resolve_thread,
)
from helpers.mailcast import ATTACHMENTS, AUTHORITY, META, NORDBY, NOW, REF, RING, TOKEN, assert_crlf_only, inquiry_mail

THREAD_FILE = render_thread_file(REF, TOKEN)


def _routes(carriers: ThreadCarriers) -> Carrier:
    return resolve_thread(carriers, keyring=RING, expected_authority_cvr=NORDBY).source


def test_our_own_inquiry_reads_back_with_every_carrier_and_the_hub_files_kept_apart():
    reply = parse_reply(inquiry_mail())
    assert reply.thread_carriers == ThreadCarriers(attachment=TOKEN, header=TOKEN, subject=TOKEN)
    assert [(a.filename, a.media_type, a.content) for a in reply.attachments] == ATTACHMENTS
    assert read_metadata_file(reply.metadata_file) == META
    assert reply.thread_file == THREAD_FILE
    assert reply.text.startswith("Hej\n\nJeg vil gerne søge")
    assert reply.from_addr == "noreply@hub.example"
    assert reply.message_id == f"<{META.message_id}@hub.example>"


def _b64(data: bytes) -> str:
    return base64.encodebytes(data).decode().replace("\n", "\r\n")


def outlook_reply(*, subject: str, thread_file: bytes | None = THREAD_FILE, header: str | None = None) -> bytes:
    """A reply shaped like Outlook's: multipart/alternative inside multipart/mixed, iso-8859-1 text,
    an RFC 2231 file name split in two, an RFC 2047 name in quotes, and the thread file kept."""
    encoded_subject = Header(subject, "utf-8").encode(linesep="\r\n")
    parts = [
        'From: "Niels Nielsen" <niels@nordby.example>',
        "To: <svar@hub.example>",
        f"Subject: {encoded_subject}",
        "Message-ID: <AM0PR01MB1234@nordby.example>",
        f"In-Reply-To: <{META.message_id}@hub.example>",
        *([f"X-DigitalPost-Thread: {header}"] if header else []),
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="_004_AM0PR01_"',
        "",
        "--_004_AM0PR01_",
        'Content-Type: multipart/alternative; boundary="_000_AM0PR01_"',
        "",
        "--_000_AM0PR01_",
        'Content-Type: text/plain; charset="iso-8859-1"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "K=E6re Anna",
        "",
        "Din ans=F8gning er godkendt.",
        "",
        "--_000_AM0PR01_",
        'Content-Type: text/html; charset="iso-8859-1"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "<html><body><p>K=E6re Anna</p><p>Din ans=F8gning er godkendt.</p></body></html>",
        "--_000_AM0PR01_--",
        "",
        "--_004_AM0PR01_",
        'Content-Type: application/pdf; name="=?iso-8859-1?Q?Afg=F8relse.pdf?="',
        "Content-Disposition: attachment;",
        " filename*0*=iso-8859-1''Afg%F8relse%20om%20;",
        " filename*1*=parkering.pdf; size=11",
        "Content-Transfer-Encoding: base64",
        "",
        _b64(b"%PDF-1.7 ok"),
        "--_004_AM0PR01_",
        'Content-Type: image/png; name="=?utf-8?B?w6ZibGUucG5n?="',
        'Content-Disposition: inline; filename="=?utf-8?B?w6ZibGUucG5n?="',
        "Content-ID: <image001.png@01DA>",
        "Content-Transfer-Encoding: base64",
        "",
        _b64(b"\x89PNG fake"),
    ]
    if thread_file is not None:
        parts += [
            "--_004_AM0PR01_",
            'Content-Type: text/xml; name="dkaldialogtraad.xml"',
            'Content-Disposition: attachment; filename="dkaldialogtraad.xml"',
            "Content-Transfer-Encoding: base64",
            "",
            _b64(thread_file),
        ]
    parts += ["--_004_AM0PR01_--", ""]
    return "\r\n".join(parts).encode("ascii")


ORIGINAL_SUBJECT = f"Borgerservice / Parkering: Ansøgning om parkeringstilladelse på Ærø [DP:{TOKEN}]"


def test_outlook_shaped_reply_parses():
    reply = parse_reply(outlook_reply(subject="SV: " + ORIGINAL_SUBJECT))
    assert reply.subject == "SV: " + ORIGINAL_SUBJECT
    assert reply.text == "Kære Anna\n\nDin ansøgning er godkendt."
    assert [(a.filename, a.media_type, a.content) for a in reply.attachments] == [
        ("Afgørelse om parkering.pdf", "application/pdf", b"%PDF-1.7 ok"),
        ("æble.png", "image/png", b"\x89PNG fake"),
    ]
    assert reply.thread_carriers == ThreadCarriers(attachment=TOKEN, subject=TOKEN)
    assert reply.from_addr == "niels@nordby.example"
    assert reply.message_id == "<AM0PR01MB1234@nordby.example>"
    assert reply.in_reply_to == f"<{META.message_id}@hub.example>"


@pytest.mark.parametrize(("reply", "carrier"), [
    (outlook_reply(subject="SV: Ansøgning"), Carrier.ATTACHMENT),
    (outlook_reply(subject="SV: Ansøgning", thread_file=None, header=TOKEN), Carrier.HEADER),
    (outlook_reply(subject="SV: " + ORIGINAL_SUBJECT, thread_file=None), Carrier.SUBJECT),
])
def test_each_carrier_alone_is_found_and_routes(reply, carrier):
    carriers = parse_reply(reply).thread_carriers
    assert [c for c in Carrier if getattr(carriers, c.value)] == [carrier]
    assert _routes(carriers) is carrier


def test_reply_without_any_carrier_is_thread_missing():
    carriers = parse_reply(outlook_reply(subject="SV: Ansøgning", thread_file=None)).thread_carriers
    with pytest.raises(DigitalPostError) as raised:
        resolve_thread(carriers, keyring=RING, expected_authority_cvr=NORDBY)
    assert raised.value.code is ErrorCode.THREAD_MISSING


def test_an_edited_thread_file_is_reported_unreadable_not_silently_dropped():
    broken = THREAD_FILE.replace(b"<Token>", b"<Tokn>").replace(b"</Token>", b"</Tokn>")
    carriers = parse_reply(outlook_reply(subject="SV: Ansøgning", thread_file=broken)).thread_carriers
    assert carriers.unreadable == {Carrier.ATTACHMENT}
    with pytest.raises(DigitalPostError) as raised:
        resolve_thread(carriers, keyring=RING, expected_authority_cvr=NORDBY)
    assert raised.value.code is ErrorCode.THREAD_INVALID


def test_html_only_reply_becomes_plain_text():
    mail = (
        "Subject: SV: hej\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<html><head><style>p{color:red}</style></head><body><p>Kære&nbsp;Anna,</p>"
        "<div>Se <b>afgørelsen</b>.<br>Hilsen</div><script>alert(1)</script></body></html>\r\n"
    ).encode()
    assert parse_reply(mail).text == "Kære Anna,\n\nSe afgørelsen.\nHilsen"


def test_headers_missing_in_the_decrypted_entity_come_from_the_envelope():
    entity = build_reply_entity(thread_token=TOKEN, thread_file=THREAD_FILE, body_text="Svar")
    outer = f"From: niels@nordby.example\r\nSubject: SV: x [DP:{TOKEN}]\r\nMessage-ID: <r1@nordby.example>\r\n\r\n"
    reply = parse_reply(entity, envelope=outer.encode())
    assert (reply.from_addr, reply.message_id) == ("niels@nordby.example", "<r1@nordby.example>")
    assert reply.thread_carriers == ThreadCarriers(attachment=TOKEN, header=TOKEN, subject=TOKEN)


def _nested(depth: int) -> bytes:
    head = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth))
    tail = "".join(f"\r\n--b{i}--\r\n" for i in reversed(range(depth)))
    return (head + "Content-Type: text/plain\r\n\r\nx" + tail).encode()


@pytest.mark.parametrize("data", [
    b"",
    b"   \r\n",
    b"just some text without headers\r\n",
    b"Content-Type: multipart/mixed\r\n\r\nno boundary\r\n",
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\nno parts here\r\n',
    _nested(30),
])
def test_mail_that_is_not_mime_is_refused_as_mail_malformed(data):
    with pytest.raises(DigitalPostError) as raised:
        parse_reply(data)
    assert raised.value.code is ErrorCode.MAIL_MALFORMED


def test_modest_nesting_is_fine():
    assert parse_reply(_nested(5)).text == "x"


def test_reply_assistant_reply_keeps_the_thread_in_all_three_places():
    original = parse_reply(inquiry_mail())
    entity = build_reply_entity(
        thread_token=TOKEN, thread_file=original.thread_file, body_text="Kære Anna\n\nDin ansøgning er godkendt.",
        attachments=[("Afgørelse.pdf", "application/pdf", b"%PDF-1.7 ok")],
    )
    envelope = reply_envelope(original=original, thread_token=TOKEN, from_addr=AUTHORITY,
                              to_addr="svar@hub.example", message_id="<r2@nordby.example>", now=NOW)
    mail = with_envelope(envelope, entity)
    assert_crlf_only(mail)
    reply = parse_reply(mail)
    assert reply.thread_carriers == ThreadCarriers(attachment=TOKEN, header=TOKEN, subject=TOKEN)
    assert reply.subject == f"SV: Borgerservice / Parkering: Ansøgning om parkeringstilladelse på Ærø [DP:{TOKEN}]"
    assert reply.text == "Kære Anna\n\nDin ansøgning er godkendt."
    assert [a.filename for a in reply.attachments] == ["Afgørelse.pdf"]
    assert reply.in_reply_to == original.message_id
    assert _routes(reply.thread_carriers) is Carrier.ATTACHMENT


def test_replying_to_a_reply_does_not_pile_up_prefixes():
    original = parse_reply(outlook_reply(subject="SV: " + ORIGINAL_SUBJECT))
    envelope = reply_envelope(original=original, thread_token=TOKEN, from_addr=AUTHORITY, to_addr="x@hub.example",
                              message_id="<r3@nordby.example>", now=NOW)
    assert envelope.subject.count("SV:") == 1
    assert envelope.subject.count("[DP:") == 1


def test_reply_entity_refuses_hub_files_passed_as_attachments():
    with pytest.raises(ValueError, match="added by the hub"):
        build_reply_entity(thread_token=TOKEN, thread_file=THREAD_FILE, body_text="x",
                           attachments=[("dkaldialogtraad.xml", "application/xml", b"<x/>")])
