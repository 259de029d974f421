"""Replies written by real client engines, sent through the real gateway (SMTP, STARTTLS), end in Anna's thread.

GnuPG `gpgsm` (KMail's engine) and NSS `cmsutil` (Thunderbird's) sign and encrypt the authority's reply in their
own databases, holding only Nordby's key and the hub's certificate, and write indefinite-length BER as those
clients do. Neither tool can write RSAES-OAEP (gpgsm 2.2 and NSS's cmsutil use RSA PKCS#1 v1.5), so the OAEP
reply is encrypted by `openssl cms` around a gpgsm signature. A signature that carries no certificate (KMail's
gpgsm did so) is verified with the registered certificate. Encrypted-then-signed and triple-wrapped replies
count like signed-then-encrypted ones. A 3DES reply is filed and the doctor warns; a SHA-1 signature is filed
with a warning, or refused with `signature.sha1.refused` where the organisation says so. The signer's chain is
built with the certificates its signature carries.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from email import message_from_bytes
from pathlib import Path

import pytest

from digitalpost.authorities.services.organisation import set_secure_mail_policy
from digitalpost.conversations.models import LegacyCryptoReply
from digitalpost.conversations.selectors import list_thread_messages
from digitalpost.core.errors import ErrorCode
from digitalpost.core.findings import SubjectKind
from digitalpost.doctor.services import examine
from digitalpost.messages.models import Message, RefusedReply
from digitalpost.messages.selectors import MailboxViewer, list_inbox
from digitalpost.protocols import mail, smime
from digitalpost.protocols.smime import issue_certificate, make_dev_ca
from digitalpost.systems.models import SenderSystem
from helpers.real_tools import Gpgsm, Nss, pkcs7_entity, signed_entity
from helpers.secure_mail import reply_entity
from helpers.secure_mail_pki import HUB_ADDRESS, NORDBY_ADDRESS, Party, SecureMailPki, openssl
from helpers.secure_mail_world import (
    REPLY_TEXT,
    Forwarded,
    assert_filed_and_delivered,
    register_sender,
    replies_to_anna,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_settings")]

NORDBY_SIGNER = "post@nordby.localhost"  # the e-mail address in Nordby's sender certificate
NSS_SIGNER = "nordby-sender"  # the nickname NSS gives Nordby's key (the PKCS#12 friendly name)


@pytest.fixture(scope="module")
def gpgsm(securemail_pki: SecureMailPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gpgsm]:
    """Nordby's KMail: its own key, the hub's certificate to encrypt to, the CA trusted."""
    home = Gpgsm.create(tmp_path_factory.mktemp("nordby-gpgsm") / "home", securemail_pki,
                        [securemail_pki.nordby_sender], recipients=[securemail_pki.hub, securemail_pki.nordby_address])
    yield home
    home.stop()


@pytest.fixture(scope="module")
def nss(securemail_pki: SecureMailPki, tmp_path_factory: pytest.TempPathFactory) -> Nss:
    """Nordby's Thunderbird profile: its own key, the hub's certificate, the CA trusted."""
    return Nss.create(tmp_path_factory.mktemp("nordby-nss") / "db", securemail_pki, [securemail_pki.nordby_sender],
                      recipients=[securemail_pki.hub])


def is_ber(der: bytes) -> bool:
    """Indefinite-length BER, as every real client writes its CMS (a DER object has a definite length)."""
    return der[:2] == b"\x30\x80"


class Writer:
    """One client engine writing a reply: sign the reply entity, encrypt the signed entity to the hub."""

    def __init__(self, folder: Path, gpgsm: Gpgsm, nss: Nss) -> None:
        self.folder, self.gpgsm_home, self.nss = folder, gpgsm, nss
        self.cms: list[bytes] = []  # every CMS object the tools wrote, to check their encoding

    def _file(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        return path

    def _gpgsm(self, *args: str, source: bytes) -> bytes:
        out = self.folder / "gpgsm.out"
        out.unlink(missing_ok=True)
        self.gpgsm_home.gpgsm(*args, "-o", str(out), str(self._file("gpgsm.in", source)))
        self.cms.append(out.read_bytes())
        return self.cms[-1]

    def _cmsutil(self, *args: str, source: bytes) -> bytes:
        self.cms.append(self.nss.cmsutil(*args, stdin=source))
        return self.cms[-1]

    def gpgsm_sign(self, entity: bytes, *, digest: str = "SHA256", detached: bool = True, certs: int = -2) -> bytes:
        """`certs` as gpgsm's --include-certs: -2 all but the root (its default), 0 none (as KMail's did)."""
        options = ("-u", NORDBY_SIGNER, "--digest-algo", digest, "--include-certs", str(certs))
        if detached:
            signature = self._gpgsm(*options, "--detach-sign", source=entity)
            return signed_entity(entity, signature, micalg=digest.lower().replace("sha", "sha-"))
        return pkcs7_entity(self._gpgsm(*options, "--sign", source=entity), "signed-data")

    def gpgsm_encrypt(self, entity: bytes, *, cipher: str = "AES256", to: str = HUB_ADDRESS) -> bytes:
        return pkcs7_entity(self._gpgsm("--cipher-algo", cipher, "-r", to, "--encrypt", source=entity))

    def cmsutil_sign(self, entity: bytes, *, digest: str = "SHA256", detached: bool = True) -> bytes:
        if detached:
            signature = self._cmsutil("-S", "-T", "-G", "-N", NSS_SIGNER, "-H", digest, source=entity)
            return signed_entity(entity, signature, micalg=digest.lower().replace("sha", "sha-"))
        return pkcs7_entity(self._cmsutil("-S", "-G", "-N", NSS_SIGNER, "-H", digest, source=entity), "signed-data")

    def cmsutil_encrypt(self, entity: bytes) -> bytes:
        return pkcs7_entity(self._cmsutil("-E", "-r", HUB_ADDRESS, source=entity))

    def openssl_oaep_encrypt(self, entity: bytes, pki: SecureMailPki) -> bytes:
        """RSAES-OAEP with SHA-256 and MGF1-SHA-256, AES-256-CBC, streamed (BER), as `openssl cms` writes it."""
        smime = openssl("cms", "-encrypt", "-stream", "-aes-256-cbc", "-in", self._file("oaep.in", entity),
                        "-recip", pki.hub.cert_file, "-keyopt", "rsa_padding_mode:oaep", "-keyopt",
                        "rsa_oaep_md:sha256", "-keyopt", "rsa_mgf1_md:sha256")
        part = message_from_bytes(smime)
        self.cms.append(base64.b64decode(part.get_payload()))
        return pkcs7_entity(self.cms[-1])


@pytest.fixture
def writer(tmp_path: Path, gpgsm: Gpgsm, nss: Nss) -> Writer:
    return Writer(tmp_path, gpgsm, nss)


def client_reply(forwarded: Forwarded, write: Callable[[bytes], bytes]) -> bytes:
    """Anna's reply as the client sends it: the protected entity inside the reply's envelope header fields."""
    entity, envelope = reply_entity(forwarded.opened, text=REPLY_TEXT)
    return mail.with_envelope(envelope, write(entity))


V15, OAEP = "rsaes_pkcs1v15", "rsaes_oaep/sha256"
# id -> (how the client writes the reply, the content cipher and key management it chose)
CLIENTS: dict[str, tuple[Callable[[Writer, SecureMailPki, bytes], bytes], str, str]] = {
    "gpgsm-detached-sha256-aes256": (lambda w, _, e: w.gpgsm_encrypt(w.gpgsm_sign(e)), "aes256_cbc", V15),
    "gpgsm-detached-no-certificates-aes256": (lambda w, _, e: w.gpgsm_encrypt(w.gpgsm_sign(e, certs=0)),
                                              "aes256_cbc", V15),
    "gpgsm-opaque-sha256-aes128": (
        lambda w, _, e: w.gpgsm_encrypt(w.gpgsm_sign(e, detached=False), cipher="AES"), "aes128_cbc", V15),
    "cmsutil-detached-sha256": (lambda w, _, e: w.cmsutil_encrypt(w.cmsutil_sign(e)), "aes128_cbc", V15),
    "cmsutil-opaque-sha512": (
        lambda w, _, e: w.cmsutil_encrypt(w.cmsutil_sign(e, digest="SHA512", detached=False)), "aes128_cbc", V15),
    "gpgsm-signed-openssl-oaep-sha256": (lambda w, pki, e: w.openssl_oaep_encrypt(w.gpgsm_sign(e), pki),
                                         "aes256_cbc", OAEP),
    # Encrypt-then-sign: the signature covers the envelope, not the content.
    "gpgsm-encrypted-then-signed": (lambda w, _, e: w.gpgsm_sign(w.gpgsm_encrypt(e)), "aes256_cbc", V15),
    "gpgsm-encrypted-then-cmsutil-signed-opaque": (
        lambda w, _, e: w.cmsutil_sign(w.gpgsm_encrypt(e), detached=False), "aes256_cbc", V15),
    # A triple wrap (RFC 2634): signed, encrypted, signed again.
    "cmsutil-signed-gpgsm-encrypted-gpgsm-signed": (
        lambda w, _, e: w.gpgsm_sign(w.gpgsm_encrypt(w.cmsutil_sign(e))), "aes256_cbc", V15),
}


@pytest.mark.parametrize("client", CLIENTS, ids=CLIENTS)
def test_reply_written_by_a_real_client_engine_is_filed_in_annas_thread_and_she_sees_it(
    forwarded, send_to_gateway, drain, writer, client
):
    write, cipher, key_management = CLIENTS[client]
    data = client_reply(forwarded, lambda entity: write(writer, forwarded.pki, entity))
    assert writer.cms
    assert all(is_ber(cms) for cms in writer.cms)
    hub = forwarded.pki.hub  # what the tool chose, as the table in the test's docstring says
    (chosen,) = smime.unwrap(data, certificate=hub.certificate, key=hub.key, at=forwarded.pki.now,
                             known_certificates=[forwarded.pki.nordby_sender.certificate]).decryptions
    assert (chosen.content_cipher, chosen.key_management) == (cipher, key_management)

    code, answer = send_to_gateway(data)

    assert code == 250, answer
    reply = assert_filed_and_delivered(forwarded, drain)
    anna = MailboxViewer(contact_id=forwarded.secure.cast.anna.pk)
    thread = list(list_thread_messages(anna, forwarded.thread))
    assert [m.direction for m in thread] == [Message.Direction.TO_AUTHORITY, Message.Direction.TO_PARTY]
    assert thread[1] == reply
    assert reply in list_inbox(anna)
    assert not LegacyCryptoReply.objects.exists()  # modern algorithms: nothing for the doctor


def test_3des_reply_from_gpgsm_is_filed_and_the_doctor_warns_nordby(forwarded, send_to_gateway, drain, writer):
    data = client_reply(forwarded, lambda entity: writer.gpgsm_encrypt(writer.gpgsm_sign(entity), cipher="3DES"))

    code, answer = send_to_gateway(data, mail_from="post@nordby.localhost")

    assert code == 250, answer
    reply = assert_filed_and_delivered(forwarded, drain)
    assert reply in list_inbox(MailboxViewer(contact_id=forwarded.secure.cast.anna.pk))
    recorded = LegacyCryptoReply.objects.get()
    assert (recorded.kind, recorded.detail, recorded.message) == ("cipher.3des", "tripledes_3key", reply)
    nordby = forwarded.secure.cast.nordby.authority
    (finding,) = [f for f in examine(nordby).plain if f.code == "reply.cipher.3des"]
    assert (finding.subject.kind, finding.subject.id) == (SubjectKind.SENDER_SYSTEM, str(forwarded.secure.sender.pk))
    assert "from post@nordby.localhost" in finding.why
    assert "AES (256-bit)" in finding.fix
    sydby = forwarded.secure.cast.sydby.authority
    assert not [f for f in examine(sydby).plain if f.code.startswith("reply.")]


def sha1_reply(forwarded: Forwarded, writer: Writer) -> bytes:
    """Signed with SHA-1 as Outlook 2013 does by default (here by NSS, Thunderbird's engine), AES-128."""
    return client_reply(forwarded, lambda entity: writer.cmsutil_encrypt(writer.cmsutil_sign(entity, digest="SHA1")))


def test_sha1_signed_reply_is_filed_and_the_doctor_warns_when_nordby_has_not_switched_refusal_on(
    forwarded, send_to_gateway, drain, writer
):
    # Another organisation refusing SHA-1 changes nothing for Nordby's replies.
    set_secure_mail_policy(authority=forwarded.secure.cast.sydby.authority, refuse_sha1_signatures=True)

    code, answer = send_to_gateway(sha1_reply(forwarded, writer))

    assert code == 250, answer
    reply = assert_filed_and_delivered(forwarded, drain)
    assert LegacyCryptoReply.objects.get().message == reply
    (finding,) = [f for f in examine(forwarded.secure.cast.nordby.authority).plain
                  if f.code == "reply.signature.sha1"]
    assert "SHA256" in finding.fix
    assert "Refuse SHA-1 signatures" in finding.fix


def test_sha1_signed_reply_is_refused_with_its_code_when_nordby_refuses_sha1(
    forwarded, send_to_gateway, drain, writer
):
    nordby = forwarded.secure.cast.nordby.authority
    set_secure_mail_policy(authority=nordby, refuse_sha1_signatures=True)

    status, answer = send_to_gateway(sha1_reply(forwarded, writer))

    assert status == 554, answer
    assert str(ErrorCode.SIGNATURE_SHA1_REFUSED) in answer
    refusal = RefusedReply.objects.get()
    assert (refusal.code, refusal.authority, refusal.thread) == (
        ErrorCode.SIGNATURE_SHA1_REFUSED, nordby, forwarded.thread)
    assert not replies_to_anna(forwarded.thread).exists()
    assert not LegacyCryptoReply.objects.exists()
    assert drain() == 0
    # The same client set to SHA-256 gets through.
    writer_sha256 = client_reply(forwarded, lambda entity: writer.cmsutil_encrypt(writer.cmsutil_sign(entity)))
    assert send_to_gateway(writer_sha256)[0] == 250


def test_encrypted_then_signed_reply_encrypted_to_someone_else_is_refused(forwarded, send_to_gateway, drain, writer):
    data = client_reply(forwarded, lambda entity: writer.gpgsm_sign(
        writer.gpgsm_encrypt(entity, to=NORDBY_ADDRESS)))

    status, answer = send_to_gateway(data)

    assert status == 554, answer
    assert str(ErrorCode.ENCRYPTION_WRONG_RECIPIENT) in answer
    assert not replies_to_anna(forwarded.thread).exists()


def test_encrypted_then_signed_by_another_organisation_is_not_filed_in_nordbys_thread(
    forwarded, send_to_gateway, drain, tmp_path
):
    entity, envelope = reply_entity(forwarded.opened, text=REPLY_TEXT)
    encrypted = smime.encrypt(entity, recipients=[forwarded.pki.hub.certificate])
    sydby = forwarded.pki.sydby_sender
    signed = openssl("cms", "-sign", "-stream", "-md", "sha256", "-signer", sydby.cert_file, "-inkey",
                     sydby.key_file, "-in", forwarded.pki.file("sydby-etS.eml", encrypted))

    status, answer = send_to_gateway(mail.with_envelope(envelope, signed.replace(b"\r\n", b"\n").replace(
        b"\n", b"\r\n")))

    assert status == 554, answer
    assert str(ErrorCode.THREAD_NOT_YOURS) in answer
    assert not replies_to_anna(forwarded.thread).exists()


@pytest.fixture
def intermediate_signer(forwarded: Forwarded, tmp_path: Path) -> Party:
    """A Nordby signer issued by an intermediate CA under the trusted root, registered for Nordby; the
    intermediate is in no trust anchor file, so only a signature that carries it makes a chain."""
    pki = forwarded.pki
    intermediate = make_dev_ca("Nordby Intermediate CA", now=pki.now, days=60, issuer=pki.ca.issued)
    issued = issue_certificate(intermediate, common_name="Nordby via intermediate", emails=[NORDBY_SIGNER],
                               now=pki.now, days=30)
    files = [tmp_path / name for name in ("intermediate.pem", "signer.pem", "signer-key.pem")]
    for path, data in zip(files, (intermediate.certificate_pem, issued.certificate_pem, issued.key_pem), strict=True):
        path.write_bytes(data)
    party = Party(issued, files[1], files[2], issued.certificate, issued.key)
    register_sender(forwarded, party, channel=SenderSystem.Channel.SECURE_MAIL, name="Nordby via mellem-CA")
    return party


@pytest.mark.parametrize("carries_intermediate", [True, False])
def test_the_signers_chain_is_built_with_the_certificates_the_signature_carries(
    forwarded, send_to_gateway, drain, intermediate_signer, carries_intermediate
):
    entity, envelope = reply_entity(forwarded.opened, text=REPLY_TEXT)
    chain = ["-certfile", str(intermediate_signer.cert_file.with_name("intermediate.pem"))]
    signed = openssl("cms", "-sign", "-stream", "-md", "sha256", "-signer", intermediate_signer.cert_file,
                     "-inkey", intermediate_signer.key_file, *(chain if carries_intermediate else []),
                     "-in", forwarded.pki.file("chain-entity.eml", entity))
    encrypted = smime.encrypt(signed.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
                              recipients=[forwarded.pki.hub.certificate])

    status, answer = send_to_gateway(mail.with_envelope(envelope, encrypted))

    if carries_intermediate:
        assert status == 250, answer
        assert drain() == 1
        assert replies_to_anna(forwarded.thread).get().sender_system.name == "Nordby via mellem-CA"
    else:
        assert status == 554, answer
        assert str(ErrorCode.CERTIFICATE_UNTRUSTED) in answer
        assert RefusedReply.objects.get().authority == forwarded.secure.cast.nordby.authority
        assert not replies_to_anna(forwarded.thread).exists()
