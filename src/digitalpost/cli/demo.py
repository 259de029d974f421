"""The deterministic demo world and var/demo.json: everything a newcomer needs to send a first message.

The same numbers every time (Nordby and Sydby Kommune, Anna/Bent/Carl, Dorte ApS); only the sender
system's API token is random, made when the system is created and kept in var/demo.json. Østby Kommune is the
demo's broken organisation: set up with the mistakes the doctor exists to catch, so a newcomer sees it at work.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rich.console import Console

from digitalpost.accounts.models import Membership
from digitalpost.accounts.selectors import is_operator
from digitalpost.accounts.services import create_user, enrol_totp_with_key, grant_role, make_operator
from digitalpost.authorities.models import Authority, AuthorityMailbox, Material
from digitalpost.authorities.selectors import get_authority_by_cvr
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.authorities.services.materials import create_material
from digitalpost.authorities.services.organisation import create_authority, update_authority_profile
from digitalpost.cli.devca import SECURE_ADDRESS, STANDARD_SENDER_ADDRESS, ensure_dev_pki
from digitalpost.core.errors import ErrorCode
from digitalpost.core.roles import Actor, Role
from digitalpost.doctor.services import examine_all
from digitalpost.messages.models import RefusedReply
from digitalpost.messages.services.ingest import accept_memo
from digitalpost.protocols import memo
from digitalpost.protocols.smime import Issued, Purpose, issue_certificate, load_certificate
from digitalpost.registry.models import Contact
from digitalpost.registry.selectors import get_contact
from digitalpost.registry.services import register_contact
from digitalpost.systems.services.receivers import create_secure_address
from digitalpost.systems.services.senders import (
    create_secure_mail_sender,
    create_sender_system,
    rotate_sender_token,
)

AUTHORITY = {"cvr": "29190003", "name": "Nordby Kommune"}
OTHER_AUTHORITY = {"cvr": "55660018", "name": "Sydby Kommune"}
BROKEN_AUTHORITY = {"cvr": "44440008", "name": "Østby Kommune"}
BROKEN_DOMAIN = "oestby.localhost"
CITIZENS = [
    {"number": "0505851234", "name": "Anna Andersen", "status": Contact.Status.REGISTERED,
     "address_line": "Skolevej 1", "postal_code": "8000", "city": "Aarhus C"},
    {"number": "1203702345", "name": "Bent Bertelsen", "status": Contact.Status.EXEMPT,
     "address_line": "Havnegade 12, 2. th.", "postal_code": "5000", "city": "Odense C"},
    {"number": "2404603456", "name": "Carl Christensen", "status": Contact.Status.CLOSED,
     "address_line": "Kirkestræde 3", "postal_code": "9000", "city": "Aalborg"},
    # Bent's daughter: she holds a power of attorney for him (registered by Nordby's citizen service).
    {"number": "0807984567", "name": "Bodil Bertelsen", "status": Contact.Status.REGISTERED,
     "address_line": "Vestergade 5", "postal_code": "5000", "city": "Odense C"},
]
COMPANY = {"number": "33770006", "name": "Dorte ApS", "address_line": "Industrivej 7", "postal_code": "7100",
           "city": "Vejle"}
# Fixed, so loading the demo twice replays instead of sending the welcome letters again.
DEMO_MAILBOX = "Borgerservice"
WELCOME_UUIDS = ["6f1c2d9e-3b7a-4c1e-9a2b-1d4e5f6a7b01", "6f1c2d9e-3b7a-4c1e-9a2b-1d4e5f6a7b02"]
# Bent is exempt: his letter goes to print (the workers render it, the print loop puts it in the spool).
PAPER_LETTER_UUID = "6f1c2d9e-3b7a-4c1e-9a2b-1d4e5f6a7b03"
# Anna's inquiry to Borgerservice and the case system's answer over REST, filed in her conversation.
ANNA_INQUIRY_SUBJECT = "Beboerlicens til parkering"
ANNA_INQUIRY_TEXT = "Hej\n\nJeg er flyttet til Algade 3. Kan jeg få en beboerlicens til parkering?\n\nAnna"
REST_REPLY_UUID = "6f1c2d9e-3b7a-4c1e-9a2b-1d4e5f6a7b04"
CASE_SYSTEM_REFERENCE = "6f1c2d9e-3b7a-4c1e-9a2b-1d4e5f6a7b05"  # the case system's own message, unknown to the hub
# A letter Anna can answer in the web mailbox (MeMo reply, a deadline, Borgerservice as the answer mailbox).
ANSWERABLE_LETTER_UUID = "6f1c2d9e-3b7a-4c1e-9a2b-1d4e5f6a7b06"
# A legal notification with a payment and an appointment: the marks, "Kræver handling" and the calendar file.
LEGAL_LETTER_UUID = "6f1c2d9e-3b7a-4c1e-9a2b-1d4e5f6a7b07"
LEGAL_LETTER_TEXT = ("Kære Anna\n\nDu skal betale 1.250 kr. tilbage i for meget udbetalt boligstøtte, og vi "
                     "indkalder dig til en samtale.\n\nNordby Kommune")
ANSWERABLE_LETTER_TEXT = ("Kære Anna\n\nVi overvejer at give din nabo tilladelse til en carport i skel. Har du "
                          "bemærkninger, så svar på dette brev med knappen Besvar inden fristen.\n\nNordby Kommune")
REST_REPLY_TEXT = ("Kære Anna\n\nDin beboerlicens er oprettet og gælder fra i morgen.\n\n"
                   "Venlig hilsen\nNordby Kommune, Borgerservice")
PAPER_LETTER_TEXT = (
    "Kære Bent Bertelsen\n\n"
    "Nordby Kommune har behandlet din ansøgning om boligstøtte og bevilger 1.850 kr. om måneden fra 1. februar "
    "2026. Beløbet udbetales den første bankdag i hver måned til din NemKonto.\n\n"
    "Du skal give os besked, hvis din husstand, din indkomst eller din husleje ændrer sig.\n\n"
    "Med venlig hilsen\nNordby Kommune, Borgerservice"
)
# A letter Nordby starts by secure mail (the Outlook path), through the gateway's own receive path; its receipt mail
# is queued and reaches Nordby's mail server (var/authority-mail/) once `make run` has started the workers.
MAIL_LETTER_SUBJECT = "Din beboerlicens er klar"
MAIL_LETTER_TEXT = ("Kære Anna\n\nDin beboerlicens til parkering i zone B er klar og gælder fra i dag.\n\n"
                    "Venlig hilsen\nNordby Kommune, Borgerservice")
# Anna's notices (new mail, reminders) are e-mailed here; in demo mode they land in notification_maildir.
ANNA_NOTIFICATION_EMAIL = "anna@borger.localhost"


# The portal's demo staff (STYLE rule 12's cast): user name, full name, organisation, role.
STAFF = [
    ("nora", "Nora Nielsen", AUTHORITY["cvr"], Role.SUPERADMIN),
    ("naja", "Naja Nørgaard", AUTHORITY["cvr"], Role.SUPERADMIN),  # Nordby is looked after by two
    ("niels", "Niels Nygaard", AUTHORITY["cvr"], Role.CASEWORKER),
    ("sofie", "Sofie Skov", OTHER_AUTHORITY["cvr"], Role.SUPERADMIN),
    ("olga", "Olga Østergaard", BROKEN_AUTHORITY["cvr"], Role.SUPERADMIN),  # Østby's only one: a finding
    ("otto", "Otto Olsen", "", Role.OPERATOR),
]
DEMO_ACTOR = Actor("demo")
DEMO_SENDER_SYSTEM = "Nordby fjernprint"


def demo_file() -> Path:
    return settings.VAR_DIR / "demo.json"


def _ensure_contact(kind: Contact.Kind, spec: dict[str, Any]) -> Contact:
    return get_contact(kind, spec["number"]) or register_contact(kind=kind, **spec)


def _ensure_sender_token(authority: Any) -> tuple[str, str]:
    """The demo sender system's id and token: the recorded ones if still valid, else a new system."""
    from digitalpost.systems.selectors import get_sender_system_by_token

    previous = json.loads(demo_file().read_text()) if demo_file().exists() else {}
    token = previous.get("sender_token", "")
    system = get_sender_system_by_token(token) if token else None
    if system is not None and system.authority_id == authority.pk:
        return str(system.pk), token
    existing = authority.sender_systems.filter(name=DEMO_SENDER_SYSTEM).first()
    if existing is not None:
        # demo.json was deleted (or edited) but the database kept: the system stays, its token is re-issued.
        return str(existing.pk), rotate_sender_token(system=existing, actor=DEMO_ACTOR)
    # The standard sender system is the secure-mail one (simple replies come from it).
    issued = create_sender_system(authority=authority, name=DEMO_SENDER_SYSTEM, is_standard=False)
    return str(issued.system.pk), issued.token


def _welcome_letters(system_id: str, token: str, anna: Contact) -> None:
    from digitalpost.systems.selectors import get_sender_system_by_token

    system = get_sender_system_by_token(token)
    assert system is not None
    assert str(system.pk) == system_id
    texts = [
        ("Velkommen til Digital Post", "Kære Anna\n\nHer finder du breve fra det offentlige.\n\nNordby Kommune"),
        ("Din ansøgning om børnehaveplads", "Kære Anna\n\nVi har modtaget din ansøgning.\n\nNordby Kommune"),
    ]
    for message_uuid, (label, text) in zip(WELCOME_UUIDS, texts, strict=True):
        letter = memo.simple_message(
            sender_cvr=AUTHORITY["cvr"], sender_label=AUTHORITY["name"], recipient_id=anna.number,
            label=label, files=[("brev.txt", "text/plain", text.encode())], message_uuid=message_uuid,
            created=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        )
        accept_memo(system=system, body=memo.build(letter))


def _paper_letter(token: str, bent: Contact) -> None:
    """One letter to the exempt citizen, sent like any other: the hub chooses print for him (KombiPost)."""
    from digitalpost.systems.selectors import get_sender_system_by_token

    system = get_sender_system_by_token(token)
    assert system is not None
    letter = memo.simple_message(
        sender_cvr=AUTHORITY["cvr"], sender_label=AUTHORITY["name"], recipient_id=bent.number,
        label="Afgørelse om boligstøtte", files=[("afgoerelse.txt", "text/plain", PAPER_LETTER_TEXT.encode())],
        message_uuid=PAPER_LETTER_UUID, created=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    )
    accept_memo(system=system, body=memo.build(letter))


def _ensure_notification_email(anna: Contact) -> None:
    from digitalpost.registry.services import set_notification_preferences

    if not anna.notification_email:
        set_notification_preferences(contact_id=anna.pk, notification_email=ANNA_NOTIFICATION_EMAIL,
                                     notify_by_email=True, mobile_number=anna.mobile_number)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _ensure_secure_mail(authority: Authority) -> dict[str, Any]:
    """Borgerservice with a secure address, and the standard secure-mail sender system, on the dev PKI."""
    pki = ensure_dev_pki(settings.DIGITALPOST_PKI_DIR, hub_address=settings.DIGITALPOST_HUB_ADDRESS)
    anchors = [load_certificate(pki.ca.read_bytes())]
    mailbox = authority.mailboxes.filter(name=DEMO_MAILBOX).first()
    if mailbox is None:
        receiver = create_secure_address(
            authority=authority, email=SECURE_ADDRESS, trust_anchors=anchors,
            certificate_pem=pki.path("nordby-secure-address.pem").read_bytes(),
        )
        mailbox = create_mailbox(
            authority=authority, name=DEMO_MAILBOX, topics=["Pas og kørekort", "Parkering", "Andet"],
            metadata_fields=[("Sagsnummer", False)], receiver_system=receiver,
        )
    if not authority.sender_systems.filter(channel="SECURE_MAIL").exists():
        create_secure_mail_sender(
            authority=authority, name="Nordby Outlook (standard)", is_standard=True, trust_anchors=anchors,
            certificate_pem=pki.path("nordby-standard-sender.pem").read_bytes(),
        )
    return {
        "smtp_host": settings.DIGITALPOST_GATEWAY_HOST,
        "smtp_port": settings.DIGITALPOST_GATEWAY_PORT,
        "hub_address": settings.DIGITALPOST_HUB_ADDRESS,
        "hub_certificate": _relative(pki.path("hub.pem")),
        "ca_certificate": _relative(pki.ca),
        "standard_sender": {"certificate": _relative(pki.path("nordby-standard-sender.pem")),
                            "key": _relative(pki.path("nordby-standard-sender-key.pem"))},
        "secure_address": {"email": SECURE_ADDRESS, "certificate": _relative(pki.path("nordby-secure-address.pem")),
                           "key": _relative(pki.path("nordby-secure-address-key.pem"))},
        "mailbox_id": str(mailbox.pk),
        "authority_maildir": _relative(settings.DIGITALPOST_AUTHORITY_MAILDIR),
    }


def _rest_reply_in_annas_conversation(token: str, anna: Contact, mailbox_id: str) -> Path:
    """Anna writes to Borgerservice; the case system answers over REST with the inquiry's ReplyData copied.

    The answer is what a pull or push receiver system would post back (docs/replies.md): it goes through the same
    service as POST /apis/v1/memos and is filed in Anna's conversation. Loading again replays it. Returns the
    answer's file, for trying the API by hand.
    """
    from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
    from digitalpost.conversations.services.rest_replies import submit_memo
    from digitalpost.conversations.tokens import REPLY_DATA_LABEL, thread_token
    from digitalpost.messages.models import Message, Thread
    from digitalpost.systems.selectors import get_sender_system_by_token

    system = get_sender_system_by_token(token)
    assert system is not None
    thread = Thread.objects.filter(party=anna, authority_mailbox_id=uuid.UUID(mailbox_id),
                                   subject=ANNA_INQUIRY_SUBJECT).first()
    if thread is None:
        mailbox = AuthorityMailbox.objects.get(pk=mailbox_id)
        thread = send_inquiry(party=anna, mailbox=mailbox, inquiry=Inquiry(
            subject=ANNA_INQUIRY_SUBJECT, text=ANNA_INQUIRY_TEXT, topic="Parkering")).thread
        assert thread is not None
    inquiry = Message.objects.filter(thread=thread, direction=Message.Direction.TO_AUTHORITY).order_by(
        "accepted_at").first()
    assert inquiry is not None
    letter = memo.simple_message(
        sender_cvr=AUTHORITY["cvr"], sender_label=AUTHORITY["name"], recipient_id=anna.number,
        label=f"SV: {ANNA_INQUIRY_SUBJECT}", files=[("svar.txt", "text/plain", REST_REPLY_TEXT.encode())],
        message_uuid=REST_REPLY_UUID, created=datetime(2026, 1, 6, 10, 0, tzinfo=UTC),
    )
    copied = memo.ReplyData(message_uuid=str(inquiry.message_uuid), additional_reply_data=(
        memo.AdditionalReplyData(label=REPLY_DATA_LABEL, value=thread_token(thread)),))
    own = memo.ReplyData(message_uuid=CASE_SYSTEM_REFERENCE, case_id="SAG-2026-0117")  # the case system's own
    body = memo.build(replace(letter, header=replace(letter.header, reply_data=(copied, own))))
    submitted = submit_memo(system=system, body=body, query_uuid=uuid.UUID(REST_REPLY_UUID))
    assert submitted.threaded, "the demo's REST reply must land in Anna's conversation"
    path = settings.VAR_DIR / "demo-reply.xml"
    path.write_bytes(body)
    return path


def _letter_by_secure_mail(anna: Contact) -> dict[str, Any]:
    """Nordby's caseworker starts a letter to Anna from Outlook: the mail `digitalpost send-mail --plain` writes
    (recipient on the first line, signed by the standard sender system, encrypted to the hub), handed to the same
    receive path the SMTP gateway uses. The letter lands in Anna's mailbox; the signed, encrypted receipt is
    queued for the sender system's address and lands in var/authority-mail/ when the workers run. Loaded once.
    Returns the letter's message id and title for demo.json.
    """
    from digitalpost.conversations.services.receive import receive_secure_mail
    from digitalpost.hub.keys import hub_identity
    from digitalpost.messages.models import Message
    from digitalpost.protocols import mail, smime

    found = Message.objects.filter(mailbox=anna.mailbox, label=MAIL_LETTER_SUBJECT).first()
    if found is not None:
        return {"message_id": str(found.pk), "subject": MAIL_LETTER_SUBJECT}
    pki = ensure_dev_pki(settings.DIGITALPOST_PKI_DIR, hub_address=settings.DIGITALPOST_HUB_ADDRESS)
    raw = mail.build_letter_mail(
        mail.LetterOrder(recipient_id=anna.number, recipient_type="CPR", label=MAIL_LETTER_SUBJECT),
        subject=MAIL_LETTER_SUBJECT, text=MAIL_LETTER_TEXT, plain=True,
        signer_certificate=smime.load_certificate(pki.path("nordby-standard-sender.pem").read_bytes()),
        signer_key=smime.load_private_key(pki.path("nordby-standard-sender-key.pem").read_bytes()),
        hub_certificate=hub_identity().certificate, from_addr=STANDARD_SENDER_ADDRESS,
        to_addr=settings.DIGITALPOST_HUB_ADDRESS, now=datetime.now(UTC), message_id_domain="nordby.localhost",
    )
    outcome = receive_secure_mail(raw=raw, envelope_from=STANDARD_SENDER_ADDRESS)
    if outcome.message is None:
        # Only when the hub is set up to trust another CA than the demo's (DIGITALPOST_TRUST_ANCHORS): the demo
        # still loads, and demo.json says why this letter is missing.
        return {"message_id": None, "subject": MAIL_LETTER_SUBJECT, "refused": str(outcome.code)}
    return {"message_id": str(outcome.message.pk), "subject": MAIL_LETTER_SUBJECT}


def _answerable_letter(token: str, anna: Contact, mailbox_id: str) -> None:
    """A hearing letter with MeMo `reply`, a deadline and Borgerservice as contact point: Anna sees "Besvar"."""
    from digitalpost.systems.selectors import get_sender_system_by_token

    system = get_sender_system_by_token(token)
    assert system is not None
    letter = memo.simple_message(
        sender_cvr=AUTHORITY["cvr"], sender_label=AUTHORITY["name"], recipient_id=anna.number,
        label="Partshøring: carport i skel", files=[("brev.txt", "text/plain", ANSWERABLE_LETTER_TEXT.encode())],
        message_uuid=ANSWERABLE_LETTER_UUID, created=datetime(2026, 1, 6, 9, 0, tzinfo=UTC),
    )
    sender = replace(letter.header.sender, contact_point=memo.ContactPoint(contact_point_id=mailbox_id,
                                                                           label=DEMO_MAILBOX))
    # The deadline is fixed far ahead so that loading again sends the same bytes (a replay, not a conflict).
    header = replace(letter.header, sender=sender, reply=True,
                     reply_by_date_time=datetime(2036, 1, 6, 12, 0, tzinfo=UTC))
    accept_memo(system=system, body=memo.build(replace(letter, header=header)))


def _legal_notification_with_actions(token: str, anna: Contact) -> None:
    """A letter with legal effect (Retsvirkning) asking Anna to pay and to come to a meeting."""
    from digitalpost.systems.selectors import get_sender_system_by_token

    system = get_sender_system_by_token(token)
    assert system is not None
    letter = memo.simple_message(
        sender_cvr=AUTHORITY["cvr"], sender_label=AUTHORITY["name"], recipient_id=anna.number,
        label="Afgørelse: tilbagebetaling af boligstøtte",
        files=[("brev.txt", "text/plain", LEGAL_LETTER_TEXT.encode())],
        message_uuid=LEGAL_LETTER_UUID, created=datetime(2026, 1, 7, 9, 0, tzinfo=UTC), legal_notification=True,
    )
    # Dates fixed far ahead so that loading again sends the same bytes (a replay, not a conflict).
    meeting = datetime(2036, 1, 14, 9, 0, tzinfo=UTC)
    actions = (
        memo.Action(label="Betal 1.250 kr.", action_code="BETALING", end_date_time=datetime(2036, 2, 1, tzinfo=UTC),
                    entry_point=memo.EntryPoint(url="https://betaling.nordby.example/boligstoette")),
        memo.Action(label="Samtale på rådhuset", action_code="AFTALE", reservation=memo.Reservation(
            description="Samtale om din boligstøtte", reservation_uuid="6f1c2d9e-3b7a-4c1e-9a2b-1d4e5f6a7b08",
            abstract="Samtale i Nordby Kommune", location="Nordby Rådhus, Torvet 1", start_date_time=meeting,
            end_date_time=meeting + timedelta(minutes=30), organizer_mail="borgerservice@nordby.example",
            organizer_name=AUTHORITY["name"])),
    )
    assert letter.body is not None
    body = replace(letter.body, main_document=replace(letter.body.main_document, actions=actions))
    accept_memo(system=system, body=memo.build(replace(letter, body=body)))


# Letters for Anna to search and file (deterministic ids, so loading the demo again replays them).
LETTERS_NAMESPACE = uuid.UUID("9d3b2f6c-5a41-4e0b-8f7d-2c1e0a9b8c70")
LETTER_THEMES = {
    "Skat": [("Årsopgørelse {year}", "Din årsopgørelse for {year} er klar. Du skal betale {n}00 kr. i restskat."),
             ("Forskudsopgørelse {year}", "Se og ret din forskudsopgørelse for {year} i TastSelv.")],
    "Bolig": [("Ejendomsvurdering {year}", "Din ejendom er vurderet. Ejendomsværdien er {n} mio. kr."),
              ("Boligstøtte {year}", "Din boligstøtte for {year} er beregnet til {n}00 kr. om måneden.")],
    "": [("Affaldsordning {year}", "Fra {year} hentes madaffald hver {n}. uge."),
         ("Tandpleje for børn {year}", "Dit barn er indkaldt til tandeftersyn i uge {n}."),
         ("Nyhedsbrev {year}", "Nyt fra Nordby Kommune: vejarbejde på Torvet i uge {n}.")],
}


def _letters_to_search(token: str, anna: Contact) -> dict[str, int]:
    """A few dozen letters for Anna, delivered at once, and her folders "Skat" and "Bolig" with theirs in them."""
    from digitalpost.delivery.channels.web_mailbox import deliver_to_mailbox
    from digitalpost.filing.models import Folder
    from digitalpost.filing.services.folders import create_folder, move_messages
    from digitalpost.messages.selectors import MailboxViewer
    from digitalpost.systems.selectors import get_sender_system_by_token

    system = get_sender_system_by_token(token)
    assert system is not None
    viewer = MailboxViewer(anna.pk)
    filed: dict[str, int] = {}
    for theme, kinds in LETTER_THEMES.items():
        ids = []
        for year in range(2019, 2027):
            for number, (label, text) in enumerate(kinds, start=1):
                # MeMo wants version 4: the same bytes every time, marked as version 4.
                seed = uuid.uuid5(LETTERS_NAMESPACE, f"{label}:{year}").bytes
                message_uuid = str(uuid.UUID(bytes=seed, version=4))
                letter = memo.simple_message(
                    sender_cvr=AUTHORITY["cvr"], sender_label=AUTHORITY["name"], recipient_id=anna.number,
                    label=label.format(year=year), message_uuid=message_uuid,
                    files=[("brev.txt", "text/plain", text.format(year=year, n=year % 7 + number).encode())],
                    created=datetime(year, 3, number, 9, 0, tzinfo=UTC),
                )
                accepted = accept_memo(system=system, body=memo.build(letter)).message
                deliver_to_mailbox(message_id=accepted.pk)  # the worker finds it delivered and finishes its job
                ids.append(accepted.pk)
        if theme:
            folder = (Folder.objects.filter(owner=anna, name=theme).first()
                      or create_folder(viewer=viewer, name=theme))
            move_messages(viewer=viewer, message_ids=ids, target=str(folder.pk))
        filed[theme or "Indbakke"] = len(ids)
    return filed
POWER_REASON = "Bent bad om det ved borgerservice: datteren Bodil hjælper ham med hans post."
BODIL_INQUIRY_SUBJECT = "Hjælp til Bents ansøgning om ledsagerordning"


def _power_of_attorney_for_bent(bent: Contact, bodil: Contact, mailbox_id: str) -> dict[str, Any]:
    """Bent's daughter Bodil holds a read-and-write power of attorney for him, registered by Nordby's citizen
    service; she has written to Borgerservice on his behalf. Loading again changes nothing."""
    from django.utils import timezone

    from digitalpost.attorney.selectors import active_powers
    from digitalpost.attorney.services import grant_power
    from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
    from digitalpost.messages.models import Thread

    power = active_powers().filter(grantor=bent, holder=bodil).first()
    if power is None:
        power = grant_power(grantor=bent, holder=bodil, level="READ_WRITE", starts_on=timezone.localdate(),
                            ends_on=None, actor=Actor("demo (Nordby citizen service)"), organisation=AUTHORITY["cvr"],
                            reason=POWER_REASON)
    if not Thread.objects.filter(party=bent, subject=BODIL_INQUIRY_SUBJECT).exists():
        send_inquiry(party=bent, mailbox=AuthorityMailbox.objects.get(pk=mailbox_id), written_by=bodil.name,
                     inquiry=Inquiry(subject=BODIL_INQUIRY_SUBJECT, topic="Andet",
                                     text="Hej\nJeg skriver for min far, Bent, som jeg har fuldmagt for. Hvordan søger "
                                          "han om ledsagerordning?\nVenlig hilsen Bodil"))
    return {"grantor": bent.number, "holder": bodil.number, "level": power.level, "id": str(power.pk)}


def _folder_power_for_anna(anna: Contact, bodil: Contact) -> dict[str, Any]:
    """Anna lets Bodil read her folder "Bolig" only (a power limited to chosen folders): in Bodil's switcher beside
    Bent's whole mailbox. Loading again changes nothing."""
    from django.utils import timezone

    from digitalpost.attorney.selectors import active_powers
    from digitalpost.attorney.services import citizen_actor, grant_power
    from digitalpost.filing.models import Folder

    power = active_powers().filter(grantor=anna, holder=bodil).first()
    if power is None:
        bolig = Folder.objects.get(owner=anna, name="Bolig")
        power = grant_power(grantor=anna, holder=bodil, level="READ", starts_on=timezone.localdate(), ends_on=None,
                            folders=[str(bolig.pk)], actor=citizen_actor(anna))
    return {"grantor": anna.number, "holder": bodil.number, "level": power.level, "folders": ["Bolig"],
            "id": str(power.pk)}


def _ensure_technical_contact(authority: Authority) -> None:
    """Nordby is the well-kept demo organisation: the doctor finds nothing to say about its upkeep."""
    if not authority.technical_contact_email:
        update_authority_profile(authority=authority, name=authority.name, kind=authority.kind,
                                 technical_contact_name="Nordby IT-drift",
                                 technical_contact_email="it-drift@nordby.localhost",
                                 reply_deadline_days=authority.reply_deadline_days, actor=DEMO_ACTOR)


def _ensure_staff(mailbox_id: str) -> dict[str, Any]:
    """Demo portal users with random passwords, kept in demo.json (re-used while they still match)."""
    previous = json.loads(demo_file().read_text()).get("portal", {}) if demo_file().exists() else {}
    known = previous.get("users", {})
    users: dict[str, Any] = {}
    for username, full_name, cvr, role in STAFF:
        password = known.get(username, {}).get("password", "")
        user = User.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = create_user(username=username, full_name=full_name, email=f"{username}@example.org",
                               password=password, actor=DEMO_ACTOR, organisation=cvr)
        elif not password or not user.check_password(password):
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
        if role == Role.OPERATOR:
            if not is_operator(user):
                make_operator(user=user, actor=DEMO_ACTOR)
        elif not Membership.objects.filter(user=user, authority__cvr=cvr, role=role).exists():
            authority = get_authority_by_cvr(cvr)
            assert authority is not None
            boxes = list(authority.mailboxes.filter(pk=mailbox_id)) if role == Role.CASEWORKER else []
            grant_role(authority=authority, user=user, role=role, mailboxes=boxes, actor=DEMO_ACTOR)
        users[username] = {"password": password, "role": role.value, "organisation": cvr,
                           "totp_secret": _ensure_demo_authenticator(user, known.get(username, {}))}
    return {"users": users,
            "second_factor": "DEMO: every demo user has an authenticator pre-enrolled; add totp_secret to an app, "
                             "or run `digitalpost demo totp USER` for the current code"}


def _ensure_demo_authenticator(user: User, known: dict[str, Any]) -> str:
    """Demo only: a confirmed TOTP authenticator with its secret kept in demo.json (base32, as apps take it),
    so the demo signs in the real way, second factor included. The recorded one is kept while it still matches."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None or base64.b32encode(device.bin_key).decode() != known.get("totp_secret"):
        device = enrol_totp_with_key(user=user, actor=DEMO_ACTOR).device
    return base64.b32encode(device.bin_key).decode()


def demo_totp_code(username: str) -> str:
    """The code a demo user's authenticator app would show now."""
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is None:
        raise LookupError(f"{username} has no authenticator")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _issue(name: str, common_name: str, email: str, *, days: int) -> Issued:
    """A certificate from the demo's dev CA, written next to the others in the PKI folder."""
    pki = ensure_dev_pki(settings.DIGITALPOST_PKI_DIR, hub_address=settings.DIGITALPOST_HUB_ADDRESS)
    ca = Issued(certificate_pem=pki.ca.read_bytes(), key_pem=pki.path("ca-key.pem").read_bytes())
    issued = issue_certificate(ca, common_name=common_name, emails=[email], purposes=(Purpose.EMAIL,),
                               now=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1), days=days)
    pki.path(f"{name}.pem").write_bytes(issued.certificate_pem)
    key = pki.path(f"{name}-key.pem")
    key.write_bytes(issued.key_pem)
    key.chmod(0o600)
    return issued


def _ensure_broken_organisation() -> dict[str, Any]:
    """Østby Kommune, set up with the mistakes of the brief's §1 (each created once; loading again changes nothing).

    - its secure address' certificate expires in 10 days (issued fresh when the address is created);
    - the open mailbox "Byggesager" has no receiver system;
    - the material "Parkeringsafgørelse" sends replies to the standard mailbox, and there is none;
    - one superadministrator (olga) and no technical contact;
    - two replies refused in the last days (no dialog thread; an expired sender certificate).
    """
    authority = get_authority_by_cvr(BROKEN_AUTHORITY["cvr"]) or create_authority(
        cvr=BROKEN_AUTHORITY["cvr"], name=BROKEN_AUTHORITY["name"], actor=DEMO_ACTOR)
    pki = ensure_dev_pki(settings.DIGITALPOST_PKI_DIR, hub_address=settings.DIGITALPOST_HUB_ADDRESS)
    anchors = [load_certificate(pki.ca.read_bytes())]
    if not authority.sender_systems.filter(channel="SECURE_MAIL").exists():
        sender = _issue("oestby-standard-sender", "Østby Kommune standard afsendersystem", f"post@{BROKEN_DOMAIN}",
                        days=730)
        create_secure_mail_sender(authority=authority, name="Østby Outlook (standard)", is_standard=True,
                                  trust_anchors=anchors, certificate_pem=sender.certificate_pem, actor=DEMO_ACTOR)
    if not authority.mailboxes.filter(name="Borgerservice").exists():
        address = f"borgerservice@{BROKEN_DOMAIN}"
        soon = _issue("oestby-secure-address", "Østby Kommune Borgerservice", address, days=10)
        receiver = create_secure_address(authority=authority, email=address, trust_anchors=anchors,
                                         certificate_pem=soon.certificate_pem, actor=DEMO_ACTOR)
        create_mailbox(authority=authority, name="Borgerservice", topics=["Pas", "Andet"], receiver_system=receiver,
                       is_standard=True, actor=DEMO_ACTOR)
    if not authority.mailboxes.filter(name="Byggesager").exists():
        create_mailbox(authority=authority, name="Byggesager", topics=["Byggetilladelse"], actor=DEMO_ACTOR)
    if not authority.materials.filter(name="Parkeringsafgørelse").exists():
        create_material(authority=authority, name="Parkeringsafgørelse", reply_rule=Material.ReplyRule.STANDARD,
                        actor=DEMO_ACTOR)
        # The portal refuses to take the standard flag away while a material needs it; a set-up carried over from
        # elsewhere can still end up like this, which is the mistake the doctor is shown catching.
        AuthorityMailbox.objects.filter(authority=authority, is_standard=True).update(is_standard=False)
    if not RefusedReply.objects.filter(authority=authority).exists():
        now = datetime.now(UTC)
        for code, days_ago, detail in [
            (ErrorCode.THREAD_MISSING, 2, "the reply carries no dialog thread"),
            (ErrorCode.SENDER_CERTIFICATE_EXPIRED, 5, f"CN=sagsbehandler@{BROKEN_DOMAIN} valid until 2025-12-31"),
        ]:
            RefusedReply.objects.create(code=code.value, detail=detail, authority=authority,
                                        sender_address=f"borgerservice@{BROKEN_DOMAIN}", received_at=now
                                        - timedelta(days=days_ago))
    return {"cvr": authority.cvr, "name": authority.name, "doctor": f"digitalpost doctor --org {authority.cvr}"}


def load_demo(*, base_url: str) -> dict[str, Any]:
    authority = get_authority_by_cvr(AUTHORITY["cvr"]) or create_authority(
        cvr=AUTHORITY["cvr"], name=AUTHORITY["name"], may_send_mandatory=True, may_send_legal_notification=True
    )
    if get_authority_by_cvr(OTHER_AUTHORITY["cvr"]) is None:
        create_authority(cvr=OTHER_AUTHORITY["cvr"], name=OTHER_AUTHORITY["name"])
    citizens = [_ensure_contact(Contact.Kind.CITIZEN, spec) for spec in CITIZENS]
    company = _ensure_contact(Contact.Kind.COMPANY, COMPANY)
    system_id, token = _ensure_sender_token(authority)
    _ensure_notification_email(citizens[0])  # before the welcome letters, so their notices have an address
    _welcome_letters(system_id, token, citizens[0])
    _paper_letter(token, citizens[1])
    securemail = _ensure_secure_mail(authority)
    _ensure_technical_contact(authority)
    broken = _ensure_broken_organisation()
    portal = {"url": f"{base_url}/portal/", **_ensure_staff(securemail["mailbox_id"])}
    rest_reply = _rest_reply_in_annas_conversation(token, citizens[0], securemail["mailbox_id"])
    _answerable_letter(token, citizens[0], securemail["mailbox_id"])
    _legal_notification_with_actions(token, citizens[0])
    letters = _letters_to_search(token, citizens[0])
    power = _power_of_attorney_for_bent(citizens[1], citizens[3], securemail["mailbox_id"])
    folder_power = _folder_power_for_anna(citizens[0], citizens[3])
    mail_letter = _letter_by_secure_mail(citizens[0])

    sample = settings.VAR_DIR / "demo-memo.xml"
    message_uuid = str(uuid.uuid4())
    sample.write_bytes(
        memo.build(
            memo.simple_message(
                sender_cvr=AUTHORITY["cvr"], sender_label=AUTHORITY["name"], recipient_id=citizens[0].number,
                label="Dit første brev via curl",
                files=[("brev.txt", "text/plain", "Hej Anna – dette brev kom ind over REST.".encode())],
                message_uuid=message_uuid, created=datetime.now(UTC),
            )
        )
    )
    demo = {
        "base_url": base_url,
        "sender_system_id": system_id,
        "sender_token": token,
        "authority_cvr": AUTHORITY["cvr"],
        "other_authority_cvr": OTHER_AUTHORITY["cvr"],
        "citizens": {
            "registered": citizens[0].number,
            "exempt": citizens[1].number,
            "closed": citizens[2].number,
        },
        "company_cvr": company.number,
        "sample_memo": str(sample),
        "rest_reply": {"memo": _relative(rest_reply), "message_uuid": REST_REPLY_UUID,
                       "conversation": ANNA_INQUIRY_SUBJECT},
        "answerable_letter": ANSWERABLE_LETTER_UUID,
        "annas_folders": letters,
        "power_of_attorney": power,
        "folder_power_of_attorney": folder_power,
        "securemail": securemail | {"letter": mail_letter},
        "broken_organisation": broken,
        "print_spool": _relative(settings.DIGITALPOST_PRINT_SPOOL),
        "notification_maildir": _relative(settings.DIGITALPOST_NOTIFICATION_MAILDIR),
        "portal": portal,
        "curl": (
            f"curl -sS -X POST '{base_url}/apis/v1/memos?memo-message-uuid={message_uuid}' "
            f"-H 'Authorization: Bearer {token}' -H 'Content-Type: application/xml' "
            f"--data-binary @{sample}"
        ),
    }
    demo_file().write_text(json.dumps(demo, indent=2) + "\n")
    demo_file().chmod(0o600)
    examine_all()  # so the portal shows the doctor's findings at once
    return demo


def print_demo(demo: dict[str, Any], console: Console) -> None:
    console.print(f"[bold]Demo data loaded[/bold] — details in {demo_file()}")
    console.print(f"  Web mailbox:      {demo['base_url']}/login/  (sign in as Anna {demo['citizens']['registered']})")
    console.print(f"  API docs:         {demo['base_url']}/apis/v1/docs")
    users = demo["portal"]["users"]
    console.print(f"  Portal:           {demo['portal']['url']}  (nora / {users['nora']['password']}"
                  f" superadministrator, niels / {users['niels']['password']} caseworker; all in demo.json)")
    console.print(f"  Second factor:    DEMO — authenticators pre-enrolled: nora's secret "
                  f"{users['nora']['totp_secret']} (others in demo.json); `digitalpost demo totp nora` prints the code")
    console.print(f"  Sender system:    {demo['sender_system_id']}")
    console.print(f"  API token:        {demo['sender_token']}")
    console.print(f"  Authority CVR:    {demo['authority_cvr']}  (other authority {demo['other_authority_cvr']})")
    console.print(f"  Citizens:         {demo['citizens']}")
    console.print(f"  Company CVR:      {demo['company_cvr']}")
    broken = demo["broken_organisation"]
    console.print(f"  Doctor:           {broken['name']} {broken['cvr']} is set up with mistakes: "
                  f"`{broken['doctor']}`, or sign in as olga / {users['olga']['password']}")
    mail = demo["securemail"]
    console.print(f"  Secure mail:      gateway {mail['smtp_host']}:{mail['smtp_port']}, mailbox {mail['mailbox_id']},"
                  f" forwarded mail lands in {mail['authority_maildir']}/")
    sender = mail["standard_sender"]
    if mail["letter"]["message_id"]:
        console.print(f"  Letter by mail:   \"{mail['letter']['subject']}\" was started by secure mail (the Outlook "
                      f"path); its signed, encrypted receipt lands in {mail['authority_maildir']}/ when workers run")
    console.print(f"  Write one:        digitalpost send-mail --to {demo['citizens']['registered']} --subject "
                  f"Beboerlicens --text 'Din beboerlicens er godkendt.' --plain --cert {sender['certificate']} "
                  f"--key {sender['key']} --send  (receipt in {mail['authority_maildir']}/; "
                  "docs/secure-mail-letters.md)")
    console.print(f"  Paper letters:    Bent's letter is printed: batches land in {demo['print_spool']}/ "
                  "(the print loop of `make run` writes them every few minutes)")
    console.print(f"  E-mail notices:   Anna's notices ({ANNA_NOTIFICATION_EMAIL}) land in "
                  f"{demo['notification_maildir']}/ as .eml files")
    reply = demo["rest_reply"]
    console.print(f"  REST reply:       Anna's conversation \"{reply['conversation']}\" was answered over REST with "
                  f"the inquiry's ReplyData copied: {reply['memo']} (docs/replies.md)")
    console.print(f"  Portal letter:    sign in as niels: Portal → New letter ({demo['portal']['url']}"
                  f"{demo['authority_cvr']}/letters/new/)")
    console.print("  Answer a letter:  Anna's letter \"Partshøring: carport i skel\" has a Besvar/Answer button "
                  "(MeMo reply); her answer goes to Borgerservice")
    console.print(f"  Power of attorney: sign in as Bent's daughter Bodil ({demo['power_of_attorney']['holder']}) "
                  "and choose Bent's mailbox at the top of the page; her inquiry for him is under Samtaler "
                  "(docs/power-of-attorney.md); Anna's mailbox is there too, limited to her folder Bolig")
    console.print("  Send a message:")
    console.print(f"    {demo['curl']}", soft_wrap=True)
