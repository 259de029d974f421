"""Receiving secure mail from an authority: a reply is filed in the citizen's thread, or refused with a code.

Every S/MIME layer is opened first (sign-then-encrypt, encrypt-then-sign or both; see `_author_signature`).
The checks run in the order a sender can fix them: size, encryption, signature, the signer's registration
and validity, the sender system's right to reply, the signer's chain to the hub's trust anchors, the dialog
thread (verified, this authority's, unambiguous), the organisation's digest policy (SHA-1 refused if it says
so), then the reply's content as MeMo service rules.
Every refusal is recorded (the doctor counts them) and returned with its code; the gateway answers it at DATA
time with the code and the fix, which the sending mail server turns into its bounce.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from digitalpost.authorities.models import Authority
from digitalpost.conversations.models import LegacyCryptoReply
from digitalpost.conversations.services.replies import file_reply
from digitalpost.core.errors import DigitalPostError, ErrorCode
from digitalpost.hub.keys import hub_identity, thread_keyring
from digitalpost.hub.queries import Param, PreparedSelect
from digitalpost.messages.models import Message, RefusedReply, Thread
from digitalpost.messages.services.mail_letters import CHANNEL as LETTER_CHANNEL
from digitalpost.messages.services.mail_letters import accept_mail_letter, queue_receipt, receipt_address
from digitalpost.protocols import mail, smime
from digitalpost.protocols.threads import ThreadCarriers, ThreadRef, resolve_thread, untag_subject
from digitalpost.systems.models import SenderSystem

CHANNEL = "secure-mail"


@dataclass(frozen=True)
class ReceiveOutcome:
    """The filed reply, or the refusal code and its detail; the gateway turns it into its SMTP answer."""

    message: Message | None = None
    code: ErrorCode | None = None
    detail: str = ""
    letter: bool = False  # a new letter (no dialog thread), not a reply


@dataclass(frozen=True)
class _Signer:
    system: SenderSystem
    certificate: smime.Certificate


def receive_secure_mail(*, raw: bytes, envelope_from: str = "",
                        gateway: mail.GatewayAddress | None = None) -> ReceiveOutcome:
    """Decrypt, verify and file one mail from an authority; never raises for bad mail.

    `gateway` is the NgDP gateway address the mail was sent to instead of the hub's address (a new letter's
    recipient; docs/secure-mail-letters.md); a reply names its thread and is filed whatever the address.
    """
    thread: Thread | None = None
    signer: _Signer | None = None
    signed_by: smime.Certificate | None = None
    try:
        if len(raw) > settings.DIGITALPOST_MAX_MAIL_BYTES:
            raise DigitalPostError(ErrorCode.MESSAGE_TOO_LARGE, f"{len(raw)} bytes")
        hub = hub_identity()
        now = timezone.now()
        unwrapped = smime.unwrap(raw, certificate=hub.certificate, key=hub.key, at=now,
                                 known_certificates=_RegisteredCertificates())
        verified = _author_signature(unwrapped)
        signed_by = verified.signer
        candidates = _registered_signers(verified.signer)
        signer = candidates[0]
        _check_chain(verified, trust_anchors=hub.trust_anchors, at=now)
        reply = mail.parse_reply(unwrapped.content, envelope=unwrapped.message)
        if not names_a_thread(reply.thread_carriers):
            return _receive_letter(reply, signer=signer, unwrapped=unwrapped, envelope_from=envelope_from,
                                   gateway=gateway)
        signer, ref = _thread_and_signer(reply, candidates)
        thread = _THREAD.first(pk=ref.thread_id)
        if thread is None or thread.authority.cvr != signer.system.authority.cvr:
            raise DigitalPostError(ErrorCode.THREAD_INVALID, "no such thread")
        _check_digest_policy(unwrapped, thread.authority)
        message = _file_reply(thread=thread, system=signer.system, reply=reply)
        _record_legacy_crypto(message=message, system=signer.system, envelope_from=envelope_from,
                              legacy=_legacy_algorithms(unwrapped))
        return ReceiveOutcome(message=message)
    except DigitalPostError as refusal:
        _record_refusal(refusal, thread=thread, signer=signer, signed_by=signed_by, envelope_from=envelope_from)
        return ReceiveOutcome(code=refusal.code, detail=refusal.detail)


def names_a_thread(carriers: ThreadCarriers) -> bool:
    """A reply names its dialog thread in some carrier (a `[DP:…]` subject tag, the X-DigitalPost-Thread header or
    dkaldialogtraad.xml, even an unreadable one); a mail that names none is a new letter (docs/secure-mail-letters.md).
    """
    return bool(carriers.attachment or carriers.header or carriers.subject or carriers.unreadable)


def _receive_letter(
    parsed: mail.ParsedReply, *, signer: _Signer, unwrapped: smime.Unwrapped, envelope_from: str,
    gateway: mail.GatewayAddress | None,
) -> ReceiveOutcome:
    """A new letter from the signer's sender system: accepted like a REST MeMo, or refused; a receipt either way.

    When the certificate is registered for several organisations' systems (a shared provider) the letter is
    sent by the first of them (standard systems first), as nothing in a new letter names the organisation.
    """
    system = signer.system
    subject = untag_subject(parsed.subject or "").strip()
    receipt_to = receipt_address(system, envelope_from)
    try:
        _check_digest_policy(unwrapped, system.authority)
        # The receipt's job commits with the letter (or with the refusal's record below): never lost.
        acceptance = accept_mail_letter(system=system, parsed=parsed, gateway=gateway, receipt_to=receipt_to,
                                        subject=subject)
    except DigitalPostError as refusal:
        with transaction.atomic(durable=True):
            _store_refusal(refusal, thread=None, signer=signer, signed_by=signer.certificate,
                           envelope_from=envelope_from, channel=LETTER_CHANNEL)
            queue_receipt(system=system, to_addr=receipt_to, subject=subject, refusal=refusal)
        return ReceiveOutcome(code=refusal.code, detail=refusal.detail, letter=True)
    if not acceptance.replayed:
        _record_legacy_crypto(message=acceptance.message, system=system, envelope_from=envelope_from,
                              legacy=_legacy_algorithms(unwrapped))
    return ReceiveOutcome(message=acceptance.message, letter=True)


def _author_signature(unwrapped: smime.Unwrapped) -> smime.Verified:
    """The signature that vouches for the reply, once every layer has been opened.

    Some layer must be encrypted to the hub and some layer signed, in either order: sign-then-encrypt
    (Outlook, Thunderbird), encrypt-then-sign, or both (a triple wrap). The innermost signature is the
    author's: it covers the content itself, where an outer one may be a relay's.
    """
    if not unwrapped.decryptions:
        kind = "signed only" if unwrapped.signatures else "not S/MIME"
        raise DigitalPostError(ErrorCode.ENCRYPTION_MISSING, f"the mail is {kind}, not encrypted to the hub")
    if not unwrapped.signatures:
        raise DigitalPostError(ErrorCode.SIGNATURE_MISSING, "the mail is encrypted but signed in no layer")
    return unwrapped.signatures[-1]


# Problems of the signer's chain; expiry is judged on the registration (sender.certificate.expired), key usage
# when the certificate was registered.
_CHAIN_PROBLEMS = {ErrorCode.CERTIFICATE_UNTRUSTED, ErrorCode.CERTIFICATE_CHAIN_SHA1, ErrorCode.CERTIFICATE_REVOKED}


def _check_chain(verified: smime.Verified, *, trust_anchors: tuple[smime.Certificate, ...], at: datetime) -> None:
    """The registered signer must still chain to the hub's trust anchors, with the certificates the signature
    carries as intermediates (a CA taken out of the anchors stops its certificates' replies)."""
    problems = [p for p in smime.check_certificate(verified.signer, purpose=smime.Purpose.EMAIL_SIGNING,
                                                   trust_anchors=trust_anchors, at=at,
                                                   intermediates=verified.chain)
                if p.code in _CHAIN_PROBLEMS]
    if problems:
        raise DigitalPostError(problems[0].code, "; ".join(p.text for p in problems))


class _RegisteredCertificates(Sequence[smime.Certificate]):
    """`_registered_certificates()`, read from the database only if a signature does not carry its signer's
    certificate (smime looks at the carried ones first): most replies never pay for the query."""

    @cached_property
    def _loaded(self) -> list[smime.Certificate]:
        return _registered_certificates()

    def __getitem__(self, index: Any) -> Any:
        return self._loaded[index]

    def __len__(self) -> int:
        return len(self._loaded)


def _registered_certificates() -> list[smime.Certificate]:
    """Every certificate registered on an active sender system, for signatures that carry none (KMail's gpgsm
    may leave them all out): the signer is then found among these, by issuer and serial or key identifier."""
    pems = (SenderSystem.objects.filter(is_active=True, certificate__isnull=False)
            .values_list("certificate__pem", flat=True).distinct())
    return [_parsed_certificate(pem) for pem in pems]


@lru_cache(maxsize=4096)
def _parsed_certificate(pem: str) -> smime.Certificate:
    # Parsed once per process: the list is read for every reply, and certificates change rarely.
    return smime.load_certificate(pem.encode())
def refuse_unread_mail(code: ErrorCode, detail: str, *, envelope_from: str = "") -> ReceiveOutcome:
    """A mail the gateway refused before holding all of it (too large; not encrypted, as its header says):
    recorded for the doctor like every other refusal."""
    refusal = DigitalPostError(code, detail)
    _record_refusal(refusal, thread=None, signer=None, signed_by=None, envelope_from=envelope_from)
    return ReceiveOutcome(code=code, detail=detail)


# Compiled once (hub.queries): through the ORM these two SELECTs cost ~3 ms CPU per reply (decision 0018).
_SIGNER_SYSTEMS = PreparedSelect(
    SenderSystem.objects.select_related("authority")
    .filter(certificate__issuer=Param("issuer"), certificate__serial=Param("serial"),
            certificate__sha256=Param("sha256"), is_active=True)
    .order_by("-is_standard", "created_at"))
# The party's mailbox too: filing the reply reads it inside its transaction.
_THREAD = PreparedSelect(Thread.objects.select_related("party__mailbox", "authority")
                         .filter(pk=Param("pk", Thread._meta.pk)))


def _registered_signers(cert: smime.Certificate) -> list[_Signer]:
    """The sender systems the signing certificate is registered for (issuer, serial and fingerprint).

    Several authorities may register the same certificate (a shared provider); the dialog thread decides
    which of them the reply comes from. Standard systems first.
    """
    systems = _SIGNER_SYSTEMS.objects(issuer=cert.issuer, serial=str(cert.serial), sha256=cert.fingerprint)
    if not systems:
        raise DigitalPostError(ErrorCode.SENDER_CERTIFICATE_UNKNOWN, cert.subject)
    now = timezone.now()
    if now > cert.not_after or now < cert.not_before:
        raise DigitalPostError(ErrorCode.SENDER_CERTIFICATE_EXPIRED, f"{cert.subject} valid until {cert.not_after}")
    allowed = [s for s in systems if s.is_standard or s.channel == SenderSystem.Channel.SECURE_MAIL]
    if not allowed:
        raise DigitalPostError(ErrorCode.SENDER_NOT_STANDARD_SYSTEM, systems[0].name)
    return [_Signer(system=system, certificate=cert) for system in allowed]


def _thread_and_signer(reply: mail.ParsedReply, candidates: list[_Signer]) -> tuple[_Signer, ThreadRef]:
    """The candidate whose authority owns the reply's thread; the first candidate's refusal otherwise."""
    first_error: DigitalPostError | None = None
    for candidate in candidates:
        try:
            return candidate, _thread_of(reply, candidate.system.authority.cvr)
        except DigitalPostError as error:
            first_error = first_error or error
    assert first_error is not None
    raise first_error


def _thread_of(reply: mail.ParsedReply, authority_cvr: str) -> ThreadRef:
    resolved = resolve_thread(reply.thread_carriers, keyring=thread_keyring(), expected_authority_cvr=authority_cvr)
    if resolved.conflicts:
        # Two valid threads in one reply: never guess which conversation it belongs to.
        raise DigitalPostError(ErrorCode.THREAD_INVALID, "the reply names more than one thread")
    return resolved.ref


def _check_digest_policy(unwrapped: smime.Unwrapped, authority: Authority) -> None:
    """Refuse SHA-1 message signatures when the organisation has switched on "refuse SHA-1 signatures".

    Judged here, not by `smime.verify(refuse_sha1=...)`: which organisation the reply goes to is known only
    once the signature is verified (its signer names the sender system) and the thread confirms it; deciding
    from the unverified subject tag would let anyone pick the policy a message is judged by.
    """
    if authority.refuse_sha1_signatures and any(_is_sha1(v) for v in unwrapped.signatures):
        raise DigitalPostError(ErrorCode.SIGNATURE_SHA1_REFUSED,
                               f"the message signature uses the SHA-1 digest; {authority.name} refuses it")


def _is_sha1(verified: smime.Verified) -> bool:
    return verified.digest_algorithm.replace("-", "").lower() == "sha1"


def _file_reply(*, thread: Thread, system: SenderSystem, reply: mail.ParsedReply) -> Message:
    return file_reply(
        thread=thread, system=system, subject=untag_subject(reply.subject or "").strip(), text=reply.text,
        attachments=[(a.filename, a.media_type, a.content) for a in reply.attachments], channel=CHANNEL,
    )


def _legacy_algorithms(unwrapped: smime.Unwrapped) -> list[tuple[str, str]]:
    """(kind, detail) of every retiring algorithm the reply used: filed all the same, but the doctor warns."""
    found: list[tuple[str, str]] = []
    legacy = [d.content_cipher for d in unwrapped.decryptions if d.is_legacy]
    if legacy:
        found.append((LegacyCryptoReply.Kind.CIPHER_3DES, legacy[0]))
    sha1 = [v.digest_algorithm for v in unwrapped.signatures if _is_sha1(v)]
    if sha1:
        found.append((LegacyCryptoReply.Kind.SIGNATURE_SHA1, sha1[0]))
    return found


def _record_legacy_crypto(
    *, message: Message, system: SenderSystem, envelope_from: str, legacy: list[tuple[str, str]]
) -> None:
    if legacy:  # most replies use nothing retiring: no transaction (and no commit) for nothing to record
        _store_legacy_crypto(message=message, system=system, envelope_from=envelope_from, legacy=legacy)


@transaction.atomic(durable=True)
def _store_legacy_crypto(
    *, message: Message, system: SenderSystem, envelope_from: str, legacy: list[tuple[str, str]]
) -> None:
    for kind, detail in legacy:
        LegacyCryptoReply.objects.create(
            kind=kind, authority=system.authority, sender_system=system, message=message,
            sender_address=envelope_from[:320], detail=detail[:200], received_at=message.accepted_at)


@transaction.atomic(durable=True)
def _record_refusal(
    refusal: DigitalPostError, *, thread: Thread | None, signer: _Signer | None, signed_by: smime.Certificate | None,
    envelope_from: str, channel: str = CHANNEL,
) -> None:
    _store_refusal(refusal, thread=thread, signer=signer, signed_by=signed_by, envelope_from=envelope_from,
                   channel=channel)


def _store_refusal(
    refusal: DigitalPostError, *, thread: Thread | None, signer: _Signer | None, signed_by: smime.Certificate | None,
    envelope_from: str, channel: str = CHANNEL,
) -> None:
    """Remember the refusal for the doctor, attributed to the organisation as exactly as the mail allows.

    A signature by a certificate that is registered but expired, or not on a system allowed to reply, still
    names its organisation: the doctor must tell that organisation its replies are being refused.
    """
    authority = thread.authority if thread is not None else (signer.system.authority if signer else None)
    if authority is None and signed_by is not None:
        registered = (SenderSystem.objects.select_related("authority")
                      .filter(certificate__issuer=signed_by.issuer, certificate__serial=str(signed_by.serial),
                              certificate__sha256=signed_by.fingerprint)
                      .order_by("-is_standard", "created_at").first())
        authority = registered.authority if registered is not None else None
    RefusedReply.objects.create(
        code=str(refusal.code), detail=refusal.detail[:2000], authority=authority, thread=thread,
        sender_address=envelope_from[:320], signer_subject=signed_by.subject[:500] if signed_by else "",
        received_at=timezone.now(), channel=channel,
        # A letter's refusal names the system that signed it (a reply's signer may belong to several).
        sender_system=signer.system if signer is not None and channel == LETTER_CHANNEL else None,
    )
