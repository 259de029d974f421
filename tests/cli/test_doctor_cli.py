"""`digitalpost doctor`, `probe` and `scheduler --once`, run through Typer against the test database."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from digitalpost.cli.main import app
from digitalpost.doctor.models import DoctorRun, SentAlert
from digitalpost.systems.services.receivers import renew_secure_address_certificate
from digitalpost.systems.services.senders import renew_sender_certificate
from helpers.doctor_world import HealthyOrg, build_healthy

NORDBY = "29190003"


@pytest.fixture
def healthy(cast, settings) -> HealthyOrg:
    return build_healthy(cast, settings)


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


def anchors(org: HealthyOrg):
    return [org.pki.base.ca.certificate]


def test_a_clean_organisation_exits_0_and_says_so(healthy, run):
    result = run("doctor", "--org", NORDBY)
    assert result.exit_code == 0, result.output
    assert "Nordby Kommune (29190003): no findings" in result.output


def test_warnings_exit_1_with_the_stable_json_document(healthy, run):
    # 45 days left on the standard sender system's certificate: a warning
    renew_sender_certificate(system=healthy.standard_sender, certificate_pem=healthy.pki.sender.certificate_pem,
                             trust_anchors=anchors(healthy))
    result = run("doctor", "--org", NORDBY, "--json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert set(document) == {"checkedAt", "organisations"}
    assert document["checkedAt"].endswith("Z")
    (org,) = document["organisations"]
    assert (org["cvr"], org["name"], org["worst"]) == (NORDBY, "Nordby Kommune", "warning")
    assert org["counts"] == {"critical": 0, "warning": 1, "info": 0}
    (finding,) = org["findings"]
    assert set(finding) == {"code", "severity", "organisation", "subject", "why", "fix", "fixPath", "stage", "facts",
                            "runbook"}
    assert (finding["code"], finding["severity"], finding["stage"]) == ("certificate.expiring", "warning", "60")
    assert finding["subject"]["kind"] == "certificate"
    assert finding["fixPath"].startswith(f"/portal/{NORDBY}/")
    assert finding["runbook"] == "docs/runbooks/certificate.expiring.md"


def test_a_critical_finding_exits_2_with_a_table_of_severity_code_and_object(healthy, run):
    address = healthy.receiver.secure_address
    renew_secure_address_certificate(address=address, certificate_pem=healthy.pki.address_soon.certificate_pem,
                                     trust_anchors=anchors(healthy))
    result = run("doctor", "--org", NORDBY)
    assert result.exit_code == 2, result.output
    assert "critical" in result.output
    assert "certificate.expiring (14)" in result.output


def test_an_unknown_organisation_exits_3_with_a_clear_error(healthy, run):
    result = run("doctor", "--org", "12345678")
    assert result.exit_code == 3
    assert "No organisation with CVR 12345678" in result.output


def test_every_organisation_is_examined_without_org(healthy, run, cast):
    result = run("doctor", "--json")
    cvrs = [o["cvr"] for o in json.loads(result.stdout)["organisations"]]
    assert {NORDBY, "55660018"} <= set(cvrs)
    assert DoctorRun.objects.filter(authority=cast.sydby.authority).exists()


def test_alert_sends_nothing_for_a_clean_organisation_and_logs_relay_failures(healthy, run, settings):
    settings.DIGITALPOST_SMTP_RELAY_HOST, settings.DIGITALPOST_SMTP_RELAY_PORT = "127.0.0.1", 9  # nothing listens
    assert run("doctor", "--org", NORDBY, "--alert").exit_code == 0
    assert not SentAlert.objects.exists()
    renew_sender_certificate(system=healthy.standard_sender, certificate_pem=healthy.pki.sender.certificate_pem,
                             trust_anchors=anchors(healthy))
    result = run("doctor", "--org", NORDBY, "--alert")
    assert result.exit_code == 1
    assert "alerts: 0 sent, 1 not delivered" in result.output
    (alert,) = SentAlert.objects.all()
    assert (alert.code, alert.delivered) == ("certificate.expiring", False)


def test_scheduler_once_examines_every_organisation_and_stops(healthy, run, cast, settings):
    settings.DIGITALPOST_SMTP_RELAY_HOST, settings.DIGITALPOST_SMTP_RELAY_PORT = "127.0.0.1", 9
    result = run("scheduler", "--once")
    assert result.exit_code == 0, result.output
    assert "organisations examined" in result.output
    assert set(DoctorRun.objects.values_list("authority__cvr", flat=True)) >= {NORDBY, "55660018"}


def test_probe_of_an_unknown_mailbox_exits_3(healthy, run):
    result = run("probe", "--mailbox", "0b5cfc0e-0000-4000-8000-000000000000")
    assert result.exit_code == 3
    assert "No mailbox" in result.output
