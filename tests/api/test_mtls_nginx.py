"""Mutual TLS for the sender API: the real nginx (deploy/nginx/digitalpost.conf) in front of the app.

nginx verifies client certificates against the dev CA and forwards the verified one; the app accepts a
token only together with the certificate registered for its system, and believes the forwarded headers
only from DIGITALPOST_TRUSTED_PROXIES. The first tests drive the app directly with the Django test client.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cast import Cast, Sender
from digitalpost.messages.models import Message
from digitalpost.protocols import memo, smime
from digitalpost.protocols.smime.devca import Issued, issue_certificate, make_dev_ca
from digitalpost.systems.models import Certificate

NGINX = Path("/usr/sbin/nginx")
TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "digitalpost.conf"


@dataclass(frozen=True)
class Pki:
    ca: Issued
    server_pem: bytes
    server_key_pem: bytes
    nordby: Issued  # registered for Nordby's REST system
    sydby: Issued  # registered for Sydby's system: valid, but not Nordby's
    stranger: Issued  # from a CA nginx does not trust


def _server_certificate(ca: Issued, now: datetime) -> tuple[bytes, bytes]:
    """A TLS server certificate for 127.0.0.1 (the dev CA issues client and e-mail certificates only)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_cert = ca.certificate.x509
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .sign(ca.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@cache
def pki() -> Pki:
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca = make_dev_ca("digitalpost test client CA", now=now, days=2)
    other_ca = make_dev_ca("someone else's CA", now=now, days=2)
    server_pem, server_key_pem = _server_certificate(ca, now)
    client = [smime.Purpose.CLIENT_AUTH]
    return Pki(
        ca=ca, server_pem=server_pem, server_key_pem=server_key_pem,
        nordby=issue_certificate(ca, common_name="Nordby fjernprint", now=now, days=2, purposes=client),
        sydby=issue_certificate(ca, common_name="Sydby fjernprint", now=now, days=2, purposes=client),
        stranger=issue_certificate(other_ca, common_name="Nordby fjernprint", now=now, days=2, purposes=client),
    )


def register(sender: Sender, issued: Issued) -> None:
    """Register the certificate for the sender's system (what the admin portal does on upload)."""
    cert = issued.certificate
    row = Certificate.objects.create(
        authority=sender.authority, pem=cert.pem.decode(), sha256=cert.fingerprint, subject=cert.subject,
        issuer=cert.issuer, serial=str(cert.serial), emails=list(cert.emails), not_before=cert.not_before,
        not_after=cert.not_after,
    )
    sender.system.certificate = row
    sender.system.save(update_fields=["certificate"])


def registered(cast: Cast) -> Cast:
    register(cast.nordby, pki().nordby)
    register(cast.sydby, pki().sydby)
    return cast


@pytest.fixture
def mtls(settings):
    settings.DIGITALPOST_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.DIGITALPOST_REQUIRE_CLIENT_CERT = True


def submit_direct(client, sender: Sender, letter: memo.Message, *, remote: str, cert: Issued | None,
                  verify: str = "SUCCESS"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {sender.token}", "REMOTE_ADDR": remote,
               "HTTP_X_SSL_CLIENT_VERIFY": verify}
    if cert is not None:
        headers["HTTP_X_SSL_CLIENT_CERT"] = quote(cert.certificate_pem.decode(), safe="")
    return client.post(f"/apis/v1/memos?memo-message-uuid={letter.header.message_uuid}",
                       data=memo.build(letter), content_type="application/xml", **headers)


# --- The app on its own: which headers it believes -----------------------------------------------------

def test_forwarded_registered_certificate_from_a_trusted_proxy_is_accepted(cast, client, mtls):
    cast = registered(cast)
    response = submit_direct(client, cast.nordby, cast.nordby.memo(cast.anna), remote="127.0.0.1",
                             cert=pki().nordby)
    assert response.status_code == 201


def test_forged_headers_from_an_untrusted_address_are_ignored(cast, client, mtls):
    cast = registered(cast)
    letter = cast.nordby.memo(cast.anna)
    response = submit_direct(client, cast.nordby, letter, remote="203.0.113.9", cert=pki().nordby)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "client.certificate.missing"
    assert not Message.objects.exists()


def test_a_certificate_the_proxy_did_not_verify_does_not_count(cast, client, mtls):
    cast = registered(cast)
    response = submit_direct(client, cast.nordby, cast.nordby.memo(cast.anna), remote="127.0.0.1",
                             cert=pki().nordby, verify="FAILED:unable to get issuer certificate")
    assert response.json()["errorCode"] == "client.certificate.missing"


def test_another_systems_certificate_is_a_mismatch_even_when_not_required(cast, client, settings):
    settings.DIGITALPOST_TRUSTED_PROXIES = ["127.0.0.1"]
    cast = registered(cast)
    response = submit_direct(client, cast.nordby, cast.nordby.memo(cast.anna), remote="127.0.0.1",
                             cert=pki().sydby)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "client.certificate.mismatch"
    assert not Message.objects.exists()


def test_a_certificate_for_a_system_without_one_registered_is_refused(cast, client, mtls):
    response = submit_direct(client, cast.nordby, cast.nordby.memo(cast.anna), remote="127.0.0.1",
                             cert=pki().nordby)
    assert response.json()["errorCode"] == "client.certificate.mismatch"


def test_an_unknown_token_is_refused_before_any_certificate_check(cast, client, mtls):
    response = client.post("/apis/v1/memos", data=memo.build(cast.nordby.memo(cast.anna)),
                           content_type="application/xml", HTTP_AUTHORIZATION="Bearer nonsense")
    assert response.json()["errorCode"] == "authentication.failed"


# --- The real nginx in front of the app ----------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text() if log.exists() else ''}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError("nginx did not start listening")


@pytest.fixture(scope="module")
def nginx(live_server, tmp_path_factory) -> Iterator[int]:
    """nginx on a free port running deploy/nginx/digitalpost.conf, proxying to the live server."""
    if not NGINX.exists():
        pytest.skip("nginx is not installed (Debian package 'nginx')")
    root = tmp_path_factory.mktemp("nginx")
    tls = root / "tls"
    tls.mkdir()
    (tls / "server.pem").write_bytes(pki().server_pem)
    (tls / "server-key.pem").write_bytes(pki().server_key_pem)
    (tls / "client-ca.pem").write_bytes(pki().ca.certificate_pem)
    port, upstream = _free_port(), urlparse(live_server.url).port
    site = (
        TEMPLATE.read_text()
        .replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
        .replace("/etc/digitalpost/tls/", f"{tls}/")
        .replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    )
    for replaced in (f"127.0.0.1:{port} ssl", f"127.0.0.1:{upstream};", f"{tls}/client-ca.pem"):
        assert replaced in site
    (root / "digitalpost.conf").write_text(site)
    temp = "\n".join(f"    {kind}_temp_path {root}/{kind};" for kind in
                     ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (root / "nginx.conf").write_text(f"""
daemon off;
master_process off;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {root}/access.log;
{temp}
    include {root}/digitalpost.conf;
}}
""")
    log = root / "error.log"
    process = subprocess.Popen([str(NGINX), "-p", str(root), "-c", str(root / "nginx.conf"), "-e", str(log)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def https_post(port: int, tmp_path: Path, sender: Sender, letter: memo.Message, cert: Issued | None,
               extra: dict[str, str] | None = None) -> tuple[int, bytes]:
    context = ssl.create_default_context(cadata=pki().ca.certificate_pem.decode())
    if cert is not None:
        (tmp_path / "client.pem").write_bytes(cert.certificate_pem)
        (tmp_path / "client-key.pem").write_bytes(cert.key_pem)
        context.load_cert_chain(tmp_path / "client.pem", tmp_path / "client-key.pem")
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
    try:
        connection.request(
            "POST", f"/apis/v1/memos?memo-message-uuid={letter.header.message_uuid}", body=memo.build(letter),
            headers={"Authorization": f"Bearer {sender.token}", "Content-Type": "application/xml", **(extra or {})},
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def error_code(body: bytes) -> str:
    return str(json.loads(body)["errorCode"])


@pytest.mark.slow
def test_through_nginx_the_registered_certificate_and_token_are_accepted(tx_cast, nginx, mtls, tmp_path):
    cast = registered(tx_cast)
    letter = cast.nordby.memo(cast.anna)
    status, body = https_post(nginx, tmp_path, cast.nordby, letter, pki().nordby)
    assert status == 201, body
    assert Message.objects.filter(message_uuid=letter.header.message_uuid).exists()


@pytest.mark.slow
def test_through_nginx_without_a_client_certificate_is_refused(tx_cast, nginx, mtls, tmp_path):
    cast = registered(tx_cast)
    # Headers the client forges itself are replaced by nginx, never passed through.
    forged = {"X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-Cert": quote(pki().nordby.certificate_pem.decode())}
    status, body = https_post(nginx, tmp_path, cast.nordby, cast.nordby.memo(cast.anna), None, forged)
    assert status == 401
    assert error_code(body) == "client.certificate.missing"


@pytest.mark.slow
def test_through_nginx_another_systems_certificate_with_nordbys_token_is_a_mismatch(
    tx_cast, nginx, mtls, tmp_path
):
    cast = registered(tx_cast)
    status, body = https_post(nginx, tmp_path, cast.nordby, cast.nordby.memo(cast.anna), pki().sydby)
    assert status == 401
    assert error_code(body) == "client.certificate.mismatch"
    assert not Message.objects.exists()


@pytest.mark.slow
def test_through_nginx_a_certificate_from_an_untrusted_ca_never_reaches_the_app(tx_cast, nginx, mtls, tmp_path):
    cast = registered(tx_cast)
    status, _ = https_post(nginx, tmp_path, cast.nordby, cast.nordby.memo(cast.anna), pki().stranger)
    assert status == 400  # nginx: "The SSL certificate error"
    assert not Message.objects.exists()
