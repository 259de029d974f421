"""SSRF through push receivers: an organisation's administrator cannot make the hub POST to loopback, link-local,
private, reserved or multicast addresses, in any spelling; not when saving the endpoint (admin API and portal
form, through the real server), not when connecting (an endpoint saved earlier, or a name that changed its
address), unless the platform operator allows the network. Failures look the same to the organisation whatever
the cause, so the hub is no port scanner; the detail is in the operator's log."""

from __future__ import annotations

import logging

import pytest
import requests

from cast import build_staff
from digitalpost.accounts.services import issue_admin_token
from digitalpost.authorities.services.mailboxes import create_mailbox
from digitalpost.conversations.services.inquiries import Inquiry, send_inquiry
from digitalpost.delivery.channels.rest_push import NO_ANSWER
from digitalpost.doctor.probe import probe_mailbox
from digitalpost.messages.models import Message
from digitalpost.outbox.models import Job, WorkKind
from digitalpost.systems.models import ReceiverSystem
from digitalpost.systems.services.receivers import create_push_receiver
from helpers.live import csrf_token, staff_session
from helpers.secure_mail import free_port

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("hub_settings")]

ATTACKS = [
    "https://127.0.0.1:2625/", "https://127.1/", "https://0x7f000001/", "https://2130706433/", "https://0177.0.0.1/",
    "https://[::1]/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:7f00:1]/", "https://localhost/",
    "https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/", "https://192.168.1.1/", "https://172.16.0.1/",
    "https://100.64.0.1/", "https://0.0.0.0/", "https://[fe80::1]/", "https://[fd00::1]/", "https://224.0.0.1/",
    "https://240.0.0.1/", "https://[64:ff9b::a00:1]/", "https://[::]/",
]


@pytest.fixture
def admin(live_server, tx_cast):
    staff = build_staff(tx_cast)
    return live_server.url, staff, issue_admin_token(user=staff.nora, name="ssrf").secret, tx_cast.nordby.authority


@pytest.mark.parametrize("url", ATTACKS)
def test_the_admin_api_refuses_internal_endpoints_with_one_generic_answer(admin, url):
    base, _, token, authority = admin
    response = requests.post(f"{base}/apis/v1/admin/organisations/{authority.cvr}/receiver-systems",
                             json={"name": "Intern", "kind": "REST_PUSH", "endpointUrl": url},
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 400
    body = response.json()
    assert (body["errorCode"], body["detail"]) == ("receiver.endpoint.not.allowed", "")
    assert not ReceiverSystem.objects.filter(name="Intern").exists()


def test_the_portal_form_refuses_the_metadata_service(admin):
    base, staff, _, authority = admin
    session = staff_session(base, staff.nora)
    page = f"/portal/{authority.cvr}/receiver-systems/new-push/"
    response = session.post(base + page, timeout=30, data={
        "csrfmiddlewaretoken": csrf_token(session, base, page), "name": "Intern",
        "endpoint_url": "https://169.254.169.254/latest/meta-data/"})
    assert response.status_code == 400
    assert "receiver.endpoint.not.allowed" in response.text
    assert not ReceiverSystem.objects.filter(name="Intern").exists()


def test_an_operator_allowed_network_may_be_pushed_to(admin, settings):
    settings.DIGITALPOST_PUSH_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    base, _, token, authority = admin
    response = requests.post(f"{base}/apis/v1/admin/organisations/{authority.cvr}/receiver-systems",
                             json={"name": "ESDH", "kind": "REST_PUSH", "endpointUrl": "https://10.20.1.2/in"},
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 201, response.text
    refused = requests.post(f"{base}/apis/v1/admin/organisations/{authority.cvr}/receiver-systems",
                            json={"name": "Other", "kind": "REST_PUSH", "endpointUrl": "https://10.21.1.2/in"},
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert refused.status_code == 400


def saved_push_inquiry(cast, settings, url: str) -> tuple[Message, ReceiverSystem]:
    """A push receiver saved while the operator allowed loopback (or whose name pointed elsewhere then)."""
    settings.DIGITALPOST_PUSH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    receiver = create_push_receiver(authority=cast.nordby.authority, name=f"ESDH {url}", endpoint_url=url)
    settings.DIGITALPOST_PUSH_ALLOWED_NETWORKS = []
    mailbox = create_mailbox(authority=cast.nordby.authority, name=f"Box {url}", receiver_system=receiver)
    return send_inquiry(party=cast.anna, mailbox=mailbox, inquiry=Inquiry(subject="Pas", text="Hej")), receiver


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_connection_is_checked_again_and_nothing_reaches_a_listening_internal_endpoint(
        cast, settings, push_server, drain, caplog, host):
    message, _ = saved_push_inquiry(cast, settings, push_server.url.replace("127.0.0.1", host))
    with caplog.at_level(logging.WARNING, logger="digitalpost.delivery.channels.rest_push"):
        assert drain(WorkKind.FORWARD) == 1
    assert push_server.requests == []
    message.refresh_from_db()
    assert message.state == Message.State.ACCEPTED
    assert Job.objects.get(key=f"forward:{message.pk}").last_error.endswith(NO_ANSWER)
    assert "loopback" in caplog.text  # the operator's log says why


def test_a_closed_port_an_untrusted_server_and_a_refused_address_look_the_same_to_the_organisation(
        cast, settings, untrusted_push_server, drain):
    settings.DIGITALPOST_PUSH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    urls = {"closed port": f"https://127.0.0.1:{free_port()}/in", "open port": untrusted_push_server.url,
            "refused address": f"https://127.0.0.2:{untrusted_push_server.port}/in"}
    seen = {}
    for why, url in urls.items():
        receiver = ReceiverSystem.objects.create(authority=cast.nordby.authority, name=why, endpoint_url=url,
                                                 kind=ReceiverSystem.Kind.REST_PUSH)
        mailbox = create_mailbox(authority=cast.nordby.authority, name=why, receiver_system=receiver)
        message = send_inquiry(party=cast.anna, mailbox=mailbox, inquiry=Inquiry(subject="Pas", text="Hej"))
        drain(WorkKind.FORWARD)
        probe = probe_mailbox(mailbox)
        seen[why] = (Job.objects.get(key=f"forward:{message.pk}").last_error.replace(url, "URL"),
                     probe.detail.replace(url, "URL"))
    assert len(set(seen.values())) == 1, seen
    assert NO_ANSWER in seen["open port"][1]
