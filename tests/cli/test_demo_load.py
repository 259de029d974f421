"""`digitalpost demo load`: the demo contract in var/demo.json, and loading twice changes nothing."""

import base64
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from pypdf import PdfReader

from digitalpost.authorities.models import Authority
from digitalpost.cli.demo import ANNA_NOTIFICATION_EMAIL, AUTHORITY, BROKEN_AUTHORITY, demo_file, load_demo
from digitalpost.doctor.selectors import list_open_findings
from digitalpost.hub.keys import hub_identity
from digitalpost.messages.models import Message, RefusedReply
from digitalpost.outbox.models import WorkKind
from digitalpost.printing.models import PrintLetter
from digitalpost.printing.services import write_batches
from digitalpost.protocols import memo
from digitalpost.protocols.letters import ADDRESS_WINDOW
from digitalpost.registry.models import Contact
from digitalpost.systems.models import SenderSystem
from helpers.letters import text_positions
from helpers.otp import authenticator, sign_in_with_code

# The demo is the embedded default's (`make run`); loading it twice, the curl sample and the conversations also run
# on PostgreSQL, the rest of what the demo holds is checked once, on SQLite (CI time).
EMBEDDED_ONLY = pytest.mark.deployment("embedded")


@pytest.fixture(autouse=True)
def _demo_pki_of_its_own(settings, tmp_path) -> Iterator[None]:
    """The demo's PKI (made by `demo load`) is the hub's own, as under `make run`; per test, so tests running in
    parallel never share (or race to create) one."""
    pki = tmp_path / "pki"
    settings.DIGITALPOST_PKI_DIR = pki
    settings.DIGITALPOST_HUB_CERT, settings.DIGITALPOST_HUB_KEY = pki / "hub.pem", pki / "hub-key.pem"
    settings.DIGITALPOST_TRUST_ANCHORS = pki / "ca.pem"
    settings.DIGITALPOST_AUTHORITY_MAILDIR = tmp_path / "authority-mail"
    settings.DIGITALPOST_NOTIFICATION_MAILDIR = tmp_path / "notifications"
    hub_identity.cache_clear()  # the hub's keys are read once per process: from this PKI, for this test
    yield
    hub_identity.cache_clear()


@EMBEDDED_ONLY
def test_demo_json_holds_everything_a_newcomer_needs(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    demo = load_demo(base_url="http://127.0.0.1:8000")
    assert json.loads(demo_file().read_text()) == demo
    assert {"base_url", "sender_system_id", "sender_token", "authority_cvr", "other_authority_cvr", "citizens",
            "company_cvr", "curl", "print_spool", "notification_maildir"} <= set(demo)
    assert set(demo["citizens"]) == {"registered", "exempt", "closed"}
    assert {"smtp_host", "smtp_port", "hub_certificate", "standard_sender", "secure_address", "mailbox_id",
            "authority_maildir"} <= set(demo["securemail"])
    assert demo["sender_token"] in demo["curl"]
    assert SenderSystem.objects.get(pk=demo["sender_system_id"]).authority.cvr == demo["authority_cvr"]


def test_loading_the_demo_twice_keeps_the_token_and_sends_no_duplicates(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = load_demo(base_url="http://127.0.0.1:8000")
    count = Message.objects.count()
    second = load_demo(base_url="http://127.0.0.1:8000")
    assert second["sender_token"] == first["sender_token"]
    # Two welcome letters to Anna, one paper letter to Bent, Anna's inquiry and its answer over REST, and a letter
    # Anna can answer, a legal notification with actions, a letter Nordby started by secure mail, Bodil's inquiry on
    # her father Bent's behalf, and 56 letters for Anna to search and file.
    assert Message.objects.count() == count == 9 + 56


@EMBEDDED_ONLY
def test_a_deleted_demo_json_with_the_database_kept_reuses_the_demo(db, settings, tmp_path, client):
    settings.VAR_DIR = tmp_path
    first = load_demo(base_url="http://127.0.0.1:8000")
    demo_file().unlink()
    second = load_demo(base_url="http://127.0.0.1:8000")
    assert second["sender_system_id"] == first["sender_system_id"]
    assert second["sender_token"] != first["sender_token"]  # only the hash was kept: a fresh token is issued
    assert SenderSystem.objects.filter(name="Nordby fjernprint").count() == 1
    assert Message.objects.count() == 9 + 56  # the letters for Anna to search: see the folders test below
    body = (tmp_path / "demo-memo.xml").read_bytes()
    message_uuid = memo.parse(body, max_bytes=10**6).header.message_uuid
    response = client.post(f"/apis/v1/memos?memo-message-uuid={message_uuid}", data=body,
                           content_type="application/xml", HTTP_AUTHORIZATION=f"Bearer {second['sender_token']}")
    assert response.status_code == 201
    refused = client.post(f"/apis/v1/memos?memo-message-uuid={uuid.uuid4()}", data=body,
                          content_type="application/xml", HTTP_AUTHORIZATION=f"Bearer {first['sender_token']}")
    assert refused.status_code == 401


def test_the_curl_sample_is_accepted_by_the_api(db, settings, tmp_path, client):
    settings.VAR_DIR = tmp_path
    demo = load_demo(base_url="http://127.0.0.1:8000")
    body = (tmp_path / "demo-memo.xml").read_bytes()
    message_uuid = memo.parse(body, max_bytes=10**6).header.message_uuid
    response = client.post(f"/apis/v1/memos?memo-message-uuid={message_uuid}", data=body,
                           content_type="application/xml", HTTP_AUTHORIZATION=f"Bearer {demo['sender_token']}")
    assert response.status_code == 201
    assert Message.objects.get(pk=response.json()["messageId"]).mailbox.owner.number == demo["citizens"]["registered"]


@EMBEDDED_ONLY
def test_the_demo_staff_can_sign_in_to_the_portal_with_the_recorded_passwords(db, settings, tmp_path, client):
    settings.VAR_DIR = tmp_path
    load_demo(base_url="http://127.0.0.1:8000")
    demo = load_demo(base_url="http://127.0.0.1:8000")  # twice: the passwords stay valid
    users = demo["portal"]["users"]
    assert set(users) == {"nora", "naja", "niels", "sofie", "otto", "olga"}
    nora = User.objects.get(username="nora")
    assert users["nora"]["totp_secret"] == base64.b32encode(authenticator(nora).bin_key).decode()
    sign_in_with_code(client, "nora", users["nora"]["password"], authenticator(nora))
    assert client.get(f"/portal/{demo['authority_cvr']}/").status_code == 200
    assert client.get(f"/portal/{demo['other_authority_cvr']}/").status_code == 404


@EMBEDDED_ONLY
def test_the_broken_organisation_shows_the_doctor_at_work_and_loads_once(db, settings, tmp_path, client):
    settings.VAR_DIR = tmp_path
    settings.DIGITALPOST_PKI_DIR = tmp_path / "pki"  # a fresh dev CA: Østby's certificate is issued now
    settings.DIGITALPOST_TRUST_ANCHORS = tmp_path / "pki" / "ca.pem"
    load_demo(base_url="http://127.0.0.1:8000")
    demo = load_demo(base_url="http://127.0.0.1:8000")  # twice: nothing is created again
    oestby = Authority.objects.get(cvr=BROKEN_AUTHORITY["cvr"])
    assert demo["broken_organisation"]["cvr"] == oestby.cvr
    assert RefusedReply.objects.filter(authority=oestby).count() == 2
    assert oestby.mailboxes.count() == 2
    found = {(row.code, row.severity, row.stage) for row in list_open_findings(oestby)}  # the load ran the doctor
    codes = {code for code, _, _ in found}
    assert ("certificate.expiring", "critical", "14") in found
    assert {"mailbox.no.receiver", "material.no.standard.mailbox", "superadministrators.too.few",
            "technical.contact.missing"} <= codes
    assert any(code.startswith("reply.refused.") for code in codes)
    olga = demo["portal"]["users"]["olga"]
    assert olga["organisation"] == oestby.cvr
    sign_in_with_code(client, "olga", olga["password"], authenticator(User.objects.get(username="olga")))
    assert client.get(f"/portal/{oestby.cvr}/").status_code == 200
    assert client.get(f"/portal/{demo['authority_cvr']}/").status_code == 404


def _send(client, token: str, recipient: str):
    message = memo.simple_message(
        sender_cvr=AUTHORITY["cvr"], sender_label=AUTHORITY["name"], recipient_id=recipient, label="Orientering",
        files=[("brev.txt", "text/plain", b"Hej")], message_uuid=str(uuid.uuid4()), created=datetime.now(UTC))
    return client.post(f"/apis/v1/memos?memo-message-uuid={message.header.message_uuid}", data=memo.build(message),
                       content_type="application/xml", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_demo_prints_bents_letter_refuses_carl_and_mails_anna_digitally(db, settings, tmp_path, client, drain):
    settings.VAR_DIR = tmp_path
    settings.DIGITALPOST_PRINT_SPOOL = tmp_path / "print-spool"
    settings.DIGITALPOST_NOTIFICATION_MAILDIR = tmp_path / "notifications"
    demo = load_demo(base_url="http://127.0.0.1:8000")
    assert Path(demo["print_spool"]).resolve() == (tmp_path / "print-spool").resolve()
    assert Path(demo["notification_maildir"]).resolve() == (tmp_path / "notifications").resolve()
    # Bent (exempt) gets paper: what `make run`'s workers and print loop do, done here in one go
    assert drain(WorkKind.PRINT) == 1
    assert write_batches().letters == 1
    letter = PrintLetter.objects.get(message__mailbox__owner__number=demo["citizens"]["exempt"])
    (pdf,) = (tmp_path / "print-spool").glob(f"*/{letter.pk}.pdf")
    pages = PdfReader(io.BytesIO(pdf.read_bytes())).pages
    cover = {text: (x, y) for text, x, y in text_positions(pages[0])}
    for line in ("Bent Bertelsen", "Havnegade 12, 2. th.", "5000 Odense C"):
        assert ADDRESS_WINDOW.contains(*cover[line]), line
    assert "Afgørelse om boligstøtte" in cover
    assert "bevilger 1.850 kr." in pages[1].extract_text()
    # Carl (closed) is refused; Anna (registered) gets digital post and has a notification address
    refused = _send(client, demo["sender_token"], demo["citizens"]["closed"])
    assert (refused.status_code, refused.json()["errorCode"]) == (403, "recipient.is.closed")
    accepted = _send(client, demo["sender_token"], demo["citizens"]["registered"])
    assert accepted.status_code == 201
    assert Message.objects.get(pk=accepted.json()["messageId"]).channel == "DIGITAL"
    anna = Contact.objects.get(number=demo["citizens"]["registered"])
    assert (anna.notification_email, anna.notify_by_email) == (ANNA_NOTIFICATION_EMAIL, True)
    assert set(Message.objects.filter(mailbox__owner=anna).values_list("channel", flat=True)) == {"DIGITAL"}


@EMBEDDED_ONLY
def test_the_well_kept_demo_organisation_gives_the_doctor_nothing_to_say(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    demo = load_demo(base_url="http://127.0.0.1:8000")
    nordby = Authority.objects.get(cvr=demo["authority_cvr"])
    assert [(f.code, f.subject_name) for f in list_open_findings(nordby)] == []


def test_the_demo_answers_annas_inquiry_over_rest_in_her_conversation(db, settings, tmp_path, client, drain):
    settings.VAR_DIR = tmp_path
    demo = load_demo(base_url="http://127.0.0.1:8000")
    load_demo(base_url="http://127.0.0.1:8000")  # twice: the answer is replayed, not sent again
    reply = Message.objects.get(message_uuid=demo["rest_reply"]["message_uuid"])
    assert reply.thread is not None
    assert reply.thread.party.number == demo["citizens"]["registered"]
    assert reply.events.get(kind="MESSAGE_RECEIVED").data["channel"] == "rest"
    # The file in demo.json is the answer as posted: sending it again over the API replays its receipt.
    body = (tmp_path / "demo-reply.xml").read_bytes()
    again = client.post(f"/apis/v1/memos?memo-message-uuid={reply.message_uuid}", data=body,
                        content_type="application/xml", HTTP_AUTHORIZATION=f"Bearer {demo['sender_token']}")
    assert (again.status_code, again.json()["threaded"], again.json()["messageId"]) == (200, True, str(reply.pk))


def test_the_demo_has_a_letter_anna_can_answer_in_borgerservice(db, settings, tmp_path, drain):
    from digitalpost.conversations.services.inquiries import may_answer_letter

    settings.VAR_DIR = tmp_path
    demo = load_demo(base_url="http://127.0.0.1:8000")
    drain()
    letter = Message.objects.get(message_uuid=demo["answerable_letter"])
    assert letter.answer_mailbox_id is not None
    assert str(letter.answer_mailbox_id) == demo["securemail"]["mailbox_id"]
    assert may_answer_letter(letter)


def test_the_demo_gives_anna_folders_and_letters_to_search(db, settings, tmp_path):
    from digitalpost.cli.demo import load_demo
    from digitalpost.filing.models import Folder
    from digitalpost.filing.selectors import SearchQuery, list_folder, search
    from digitalpost.messages.selectors import MailboxViewer
    from digitalpost.registry.models import Contact

    settings.VAR_DIR = tmp_path
    demo = load_demo(base_url="http://127.0.0.1:8000")
    assert demo["annas_folders"] == {"Skat": 16, "Bolig": 16, "Indbakke": 24}
    anna = MailboxViewer(Contact.objects.get(number=demo["citizens"]["registered"]).pk)
    skat = Folder.objects.get(owner_id=anna.contact_id, name="Skat")
    assert list_folder(anna, skat).count() == 16
    assert search(anna, SearchQuery(text="restskat")).count() == 8
    load_demo(base_url="http://127.0.0.1:8000")  # loading again files nothing twice
    assert list_folder(anna, skat).count() == 16


def test_bents_daughter_holds_a_power_of_attorney_for_him(db, settings, tmp_path):
    from digitalpost.attorney.selectors import list_active_powers_held
    from digitalpost.inbox.signin import MailboxAccess
    from helpers.pages import signed_in

    settings.VAR_DIR = tmp_path
    demo = load_demo(base_url="http://127.0.0.1:8000")
    load_demo(base_url="http://127.0.0.1:8000")  # again: still one power, one inquiry
    bodil = Contact.objects.get(number=demo["power_of_attorney"]["holder"])
    powers = {p.grantor.name: p for p in list_active_powers_held(bodil.pk)}
    assert sorted(powers) == ["Anna Andersen", "Bent Bertelsen"]
    power = powers["Bent Bertelsen"]
    assert (power.level, power.scope) == ("READ_WRITE", "WHOLE_MAILBOX")
    assert power.reason
    annas = powers["Anna Andersen"]  # Anna's folder Bolig only, and nothing else of hers
    assert (annas.level, annas.scope, [f.name for f in annas.folders.all()]) == ("READ", "FOLDERS", ["Bolig"])
    client = signed_in(bodil, access=MailboxAccess(bodil, "READ_WRITE"))
    client.post("/post/mailboxes/switch/", {"power": str(power.pk)})
    threads = client.get("/post/threads/").content.decode()
    assert "Hjælp til Bents ansøgning om ledsagerordning" in threads
    client.post("/post/mailboxes/switch/", {"power": str(annas.pk)})
    found = client.get("/post/search/", {"q": "vurderet"}).content.decode()
    assert "Ejendomsvurdering 2026" in found
    assert "Årsopgørelse" not in client.get("/post/search/", {"q": "restskat"}).content.decode()


def test_the_demo_starts_a_letter_by_secure_mail_and_its_receipt_lands_in_the_authority_mail_folder(
        db, settings, tmp_path, drain):
    """The letter goes through the gateway's receive path; its receipt waits in the outbox until `make run`'s
    worker hands it to the demo mail server, which files it under var/authority-mail/."""
    from digitalpost.cli.mailserver import maildir_server
    from digitalpost.outbox.models import Job
    from helpers.smtp_relay import free_port

    settings.VAR_DIR = tmp_path
    demo = load_demo(base_url="http://127.0.0.1:8000")
    load_demo(base_url="http://127.0.0.1:8000")  # twice: one letter, one receipt

    assert "refused" not in demo["securemail"]["letter"], demo["securemail"]["letter"]
    letter = Message.objects.get(pk=demo["securemail"]["letter"]["message_id"])
    assert letter.mailbox.owner.number == demo["citizens"]["registered"]
    assert letter.label == demo["securemail"]["letter"]["subject"]
    assert letter.events.get(kind="MESSAGE_RECEIVED").data["via"] == "mail-letter"
    assert Job.objects.filter(kind=WorkKind.LETTER_RECEIPT).count() == 1

    port = free_port()
    settings.DIGITALPOST_SMTP_RELAY_HOST, settings.DIGITALPOST_SMTP_RELAY_PORT = "127.0.0.1", port
    settings.DIGITALPOST_SMTP_REQUIRE_TLS = False
    server = maildir_server(settings.DIGITALPOST_AUTHORITY_MAILDIR, host="127.0.0.1", port=port,
                            is_authority_address=lambda address: address == "post@nordby.localhost")
    server.start()
    try:
        assert drain(WorkKind.LETTER_RECEIPT) == 1
    finally:
        server.stop()
    [receipt] = (tmp_path / "authority-mail").glob("*.eml")
    assert b"Kvittering: " + demo["securemail"]["letter"]["subject"].encode() in receipt.read_bytes()
    assert demo["citizens"]["registered"].encode() not in receipt.read_bytes()
