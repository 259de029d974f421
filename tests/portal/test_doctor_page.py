"""The doctor's portal page and header badge: traffic light, findings from real faults, examine now, intruders.

Nordby starts healthy (tests/helpers/doctor_world.py); each test breaks one thing through the real services
(a certificate renewed with one that expires soon) and lets the doctor examine it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from digitalpost.accounts.services import create_user, grant_role, make_operator
from digitalpost.core.roles import Role
from digitalpost.doctor.links import fix_path
from digitalpost.doctor.models import DoctorRun, ProbeResult, SentAlert
from digitalpost.doctor.selectors import as_finding, list_open_findings
from digitalpost.doctor.services import examine
from digitalpost.systems.services.receivers import renew_secure_address_certificate
from digitalpost.systems.services.senders import renew_sender_certificate
from helpers.doctor_world import HealthyOrg, build_healthy
from helpers.otp import verified_client


@dataclass
class World:
    org: HealthyOrg
    nora: User  # Nordby superadministrator (from the healthy world)
    ada: User  # Nordby administrator
    niels: User  # Nordby caseworker
    sofie: User  # Sydby superadministrator: the intruder
    otto: User  # platform operator: may look, may not examine

    @property
    def cvr(self) -> str:
        return self.org.authority.cvr

    def page(self) -> str:
        return reverse("portal:doctor", kwargs={"cvr": self.cvr})


def client_of(user: User) -> Client:
    return verified_client(user)


@pytest.fixture
def world(cast, settings) -> World:
    org = build_healthy(cast, settings)

    def person(username: str) -> User:
        return create_user(username=username, full_name=username.title(), email=f"{username}@example.org",
                           password="not-used-here")

    ada, niels, sofie, otto = person("ada"), person("niels"), person("sofie"), person("otto")
    grant_role(authority=org.authority, user=ada, role=Role.ADMIN)
    grant_role(authority=org.authority, user=niels, role=Role.CASEWORKER, mailboxes=[org.mailbox])
    grant_role(authority=cast.sydby.authority, user=sofie, role=Role.SUPERADMIN)
    make_operator(user=otto)
    return World(org=org, nora=User.objects.get(username="nora"), ada=ada, niels=niels, sofie=sofie, otto=otto)


def _anchors(org: HealthyOrg):
    return (org.pki.base.ca.issued.certificate,)


def break_address_certificate(org: HealthyOrg) -> str:
    """The standard mailbox's secure address gets a certificate with 10 days left: critical."""
    address = renew_secure_address_certificate(address=org.receiver.secure_address,
                                               certificate_pem=org.pki.address_soon.certificate.pem,
                                               trust_anchors=_anchors(org))
    return str(address.certificate_id)


def weaken_sender_certificate(org: HealthyOrg) -> str:
    """The standard sender system gets a certificate with 45 days left: a warning."""
    system = renew_sender_certificate(system=org.standard_sender, certificate_pem=org.pki.sender.certificate.pem,
                                      trust_anchors=_anchors(org))
    return str(system.certificate_id)


def light(html: str) -> str:
    found = re.search(r'class="traffic-light[^"]*" data-light="(\w+)"', html)
    assert found, "no traffic light on the page"
    return found.group(1)


def count(html: str, severity: str) -> int:
    found = re.search(rf'data-count="{severity}">(\d+)<', html)
    assert found
    return int(found.group(1))


def finding_rows(html: str) -> list[tuple[str, str, str]]:
    """(code, severity, subject id) of each row of the findings table, in page order."""
    return re.findall(r'<tr data-code="([\w.]+)" data-severity="(\w+)" data-subject="([^"]*)">', html)


def test_a_healthy_organisation_is_green_with_no_findings(world):
    examine(world.org.authority)
    html = client_of(world.nora).get(world.page()).content.decode()
    assert light(html) == "green"
    assert (count(html, "critical"), count(html, "warning"), count(html, "info")) == (0, 0, 0)
    assert finding_rows(html) == []
    assert "data-checked-at" in html
    assert 'class="doctor-badge"' not in html


def test_before_the_first_examination_the_page_says_so(world):
    html = client_of(world.nora).get(world.page()).content.decode()
    assert light(html) == "green"
    assert "not yet: the doctor has not examined this organisation" in html


def test_a_certificate_about_to_expire_turns_the_light_red_and_is_explained(world):
    cert_id = break_address_certificate(world.org)
    examine(world.org.authority)
    response = client_of(world.nora).get(world.page())
    assert response.status_code == 200
    html = response.content.decode()
    assert light(html) == "red"
    assert count(html, "critical") >= 1
    assert ("certificate.expiring", "critical", cert_id) in finding_rows(html)
    row = next(r for r in list_open_findings(world.org.authority) if r.subject_id == cert_id)
    assert row.stage == "14"
    assert row.why in html.replace("&#x27;", "'")
    assert row.fix in html
    assert f'href="{fix_path(world.cvr, as_finding(row))}"' in html
    assert f'<time datetime="{timezone.localtime(row.first_seen_at).isoformat()}">' in html  # since when
    assert "<code>certificate.expiring</code>" in html


def test_warnings_alone_turn_the_light_amber(world):
    cert_id = weaken_sender_certificate(world.org)
    examine(world.org.authority)
    html = client_of(world.ada).get(world.page()).content.decode()
    assert light(html) == "amber"
    assert count(html, "critical") == 0
    assert ("certificate.expiring", "warning", cert_id) in finding_rows(html)


def test_the_most_urgent_findings_come_first(world):
    critical_id = break_address_certificate(world.org)
    warning_id = weaken_sender_certificate(world.org)
    examine(world.org.authority)
    rows = finding_rows(client_of(world.nora).get(world.page()).content.decode())
    subjects = [subject for _, _, subject in rows]
    assert subjects.index(critical_id) < subjects.index(warning_id)
    severities = [severity for _, severity, _ in rows]
    rank = {"critical": 0, "warning": 1, "info": 2}
    assert severities == sorted(severities, key=rank.__getitem__)


def test_the_badge_shows_open_criticals_on_every_organisation_page(world):
    assert 'class="doctor-badge"' not in client_of(world.nora).get(f"/portal/{world.cvr}/").content.decode()
    break_address_certificate(world.org)
    examine(world.org.authority)
    critical = sum(r.severity == "critical" for r in list_open_findings(world.org.authority))
    for url in (f"/portal/{world.cvr}/", reverse("portal:mailboxes", kwargs={"cvr": world.cvr}), world.page()):
        html = client_of(world.nora).get(url).content.decode()
        badge = re.search(r'<a class="doctor-badge" href="([^"]+)" data-critical="(\d+)"[^>]*>([^<]+)</a>', html)
        assert badge, url
        assert badge.group(1) == world.page()
        assert int(badge.group(2)) == critical
        assert badge.group(3).strip() == f"{critical} critical"


def test_no_badge_for_those_who_may_not_see_the_doctor_nor_on_another_organisations_pages(world, cast):
    break_address_certificate(world.org)
    examine(world.org.authority)
    caseworker = client_of(world.niels).get(f"/portal/{world.cvr}/").content.decode()
    assert 'class="doctor-badge"' not in caseworker
    sydby = client_of(world.sofie).get(f"/portal/{cast.sydby.authority.cvr}/").content.decode()
    assert 'class="doctor-badge"' not in sydby
    operator = client_of(world.otto).get(f"/portal/{world.cvr}/").content.decode()
    assert 'class="doctor-badge"' in operator  # the operator may look at the doctor


def test_the_badge_disappears_once_the_fault_is_fixed(world):
    break_address_certificate(world.org)
    examine(world.org.authority)
    renew_secure_address_certificate(address=world.org.receiver.secure_address,
                                     certificate_pem=world.org.pki.address_renewed.certificate.pem,
                                     trust_anchors=_anchors(world.org))
    examine(world.org.authority)
    html = client_of(world.nora).get(world.page()).content.decode()
    assert 'class="doctor-badge"' not in html
    assert light(html) == "green"


def test_examine_now_finds_a_new_fault_and_comes_back_with_a_message(world):
    examine(world.org.authority)
    cert_id = break_address_certificate(world.org)
    runs = DoctorRun.objects.filter(authority=world.org.authority).count()
    for user in (world.nora, world.ada):
        client = client_of(user)
        assert f'action="/portal/{world.cvr}/doctor/examine/"' in client.get(world.page()).content.decode()
        response = client.post(reverse("portal:doctor_examine", kwargs={"cvr": world.cvr}), follow=True)
        assert response.redirect_chain[-1] == (world.page(), 302)
        html = response.content.decode()
        assert "Examined now:" in html
        assert 'class="notice error"' in html  # a critical finding: the message is red too
        assert ("certificate.expiring", "critical", cert_id) in finding_rows(html)
    assert DoctorRun.objects.filter(authority=world.org.authority).count() == runs + 2


def test_examine_now_is_refused_to_caseworkers_and_operators_and_hidden_from_operators(world):
    url = reverse("portal:doctor_examine", kwargs={"cvr": world.cvr})
    assert client_of(world.niels).post(url).status_code == 403
    assert client_of(world.otto).post(url).status_code == 403
    page = client_of(world.otto).get(world.page())
    assert page.status_code == 200
    assert "Examine now" not in page.content.decode()
    assert not DoctorRun.objects.filter(authority=world.org.authority).exists()


def test_intruders_are_refused(world):
    break_address_certificate(world.org)
    examine(world.org.authority)
    assert client_of(world.sofie).get(world.page()).status_code == 404
    assert client_of(world.sofie).post(reverse("portal:doctor_examine", kwargs={"cvr": world.cvr})).status_code == 404
    assert client_of(world.niels).get(world.page()).status_code == 403
    anonymous = Client().get(world.page())
    assert anonymous.status_code == 302
    assert "/portal/login/" in anonymous["Location"]


def test_the_page_shows_the_latest_probe_per_mailbox_and_the_alert_log_of_this_organisation_only(world, cast):
    # Written directly: the probe and alert services are the doctor app's own and are tested there.
    now = timezone.now()
    nordby, sydby = world.org.authority, cast.sydby.authority
    ProbeResult.objects.create(authority=nordby, mailbox=world.org.mailbox, mailbox_name="Borgerservice",
                               route="SECURE_MAIL", started_at=now - timedelta(hours=2),
                               outcome=ProbeResult.Outcome.FAILED, detail="550 5.1.1 user unknown")
    ProbeResult.objects.create(authority=nordby, mailbox=world.org.mailbox, mailbox_name="Borgerservice",
                               route="SECURE_MAIL", started_at=now - timedelta(minutes=5),
                               finished_at=now, outcome=ProbeResult.Outcome.OK, detail="250 accepted")
    SentAlert.objects.create(authority=nordby, fingerprint="certificate.expiring:certificate:x",
                             code="certificate.expiring", severity="critical", stage="7",
                             recipients=["nora@nordby.localhost", "it@nordby.localhost"], sent_at=now,
                             delivered=True)
    SentAlert.objects.create(authority=sydby, fingerprint="org.technical_contact.missing:organisation:y",
                             code="sydby.only.code", severity="warning", recipients=["sofie@example.org"],
                             sent_at=now, delivered=False, error="connection refused")
    html = client_of(world.nora).get(world.page()).content.decode()
    probes = re.findall(r'<tr data-outcome="(\w+)">', html)
    assert probes == ["OK"]  # only the newest of the mailbox
    assert "250 accepted" in html
    assert "user unknown" not in html
    assert '<tr data-code="certificate.expiring">' in html
    assert "nora@nordby.localhost, it@nordby.localhost" in html
    assert "sydby.only.code" not in html
    assert "sofie@example.org" not in html
