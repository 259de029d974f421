"""A real HTTPS endpoint on 127.0.0.1 (port 0) with a server certificate from the test CA, as an integrator runs it.

`endpoint_server` records every POST it is sent; while `down` is set it answers 503 (the integrator's service is
down), else 200. Used by the receipt-push tests; the REST push tests to receiver systems have their own copy in
tests/delivery/test_push_to_receiver.py.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from helpers.secure_mail_pki import Party


def server_certificate(folder: Path, name: str, issuer: Party) -> tuple[Path, Path]:
    """A TLS server certificate for 127.0.0.1 signed by `issuer`; its (cert, key) PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC) - timedelta(hours=1)
    issuer_cert = issuer.certificate.x509
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(issuer.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    cert_file, key_file = folder / f"{name}.pem", folder / f"{name}-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@dataclass
class Posted:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass
class EndpointServer:
    port: int = 0
    down: bool = False
    posts: list[Posted] = field(default_factory=list)  # what was answered 2xx
    refused: list[Posted] = field(default_factory=list)  # what came while down

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/digitalpost/receipts"


@contextmanager
def endpoint_server(cert_file: Path, key_file: Path) -> Iterator[EndpointServer]:
    state = EndpointServer()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            posted = Posted(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            with lock:
                status = 503 if state.down else 200
                (state.refused if state.down else state.posts).append(posted)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
