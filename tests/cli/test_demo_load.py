"""`digitalpost demo load`: the demo contract in var/demo.json, and loading twice changes nothing."""

import json

from digitalpost.authorities.models import Authority
from digitalpost.cli.demo import BROKEN_AUTHORITY, demo_file, load_demo
from digitalpost.doctor.selectors import list_open_findings
from digitalpost.messages.models import Message, RefusedReply
from digitalpost.protocols import memo
from digitalpost.systems.models import SenderSystem


def test_demo_json_holds_everything_a_newcomer_needs(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    demo = load_demo(base_url="http://127.0.0.1:8000")
    assert json.loads(demo_file().read_text()) == demo
    assert {"base_url", "sender_system_id", "sender_token", "authority_cvr", "other_authority_cvr", "citizens",
            "company_cvr", "curl"} <= set(demo)
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
    assert Message.objects.count() == count == 2


def test_the_curl_sample_is_accepted_by_the_api(db, settings, tmp_path, client):
    settings.VAR_DIR = tmp_path
    demo = load_demo(base_url="http://127.0.0.1:8000")
    body = (tmp_path / "demo-memo.xml").read_bytes()
    message_uuid = memo.parse(body, max_bytes=10**6).header.message_uuid
    response = client.post(f"/apis/v1/memos?memo-message-uuid={message_uuid}", data=body,
                           content_type="application/xml", HTTP_AUTHORIZATION=f"Bearer {demo['sender_token']}")
    assert response.status_code == 201
    assert Message.objects.get(pk=response.json()["messageId"]).mailbox.owner.number == demo["citizens"]["registered"]


def test_the_demo_staff_can_sign_in_to_the_portal_with_the_recorded_passwords(db, settings, tmp_path, client):
    settings.VAR_DIR = tmp_path
    load_demo(base_url="http://127.0.0.1:8000")
    demo = load_demo(base_url="http://127.0.0.1:8000")  # twice: the passwords stay valid
    users = demo["portal"]["users"]
    assert set(users) == {"nora", "niels", "sofie", "otto", "olga"}
    assert client.login(username="nora", password=users["nora"]["password"])
    assert client.get(f"/portal/{demo['authority_cvr']}/").status_code == 200
    assert client.get(f"/portal/{demo['other_authority_cvr']}/").status_code == 404


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
    assert client.login(username="olga", password=olga["password"])
    assert client.get(f"/portal/{oestby.cvr}/").status_code == 200
    assert client.get(f"/portal/{demo['authority_cvr']}/").status_code == 404
