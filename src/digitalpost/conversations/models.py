"""Tables of the conversations room. Threads and refused replies still live in `messages.models` (their tables
predate this app); what is new about conversations is kept here."""

from __future__ import annotations

from django.db import models

from digitalpost.authorities.models import Authority
from digitalpost.messages.models import Message
from digitalpost.systems.models import SenderSystem


class LegacyCryptoReply(models.Model):
    """A reply the hub filed although the sender's mail client used an algorithm it should retire.

    The answer reaches the citizen (never lose it over a client setting), and the doctor tells the authority
    which setting to change: 3DES content encryption, or a SHA-1 message signature (Outlook 2013's default).
    """

    class Kind(models.TextChoices):
        CIPHER_3DES = "cipher.3des"
        SIGNATURE_SHA1 = "signature.sha1"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    sender_system = models.ForeignKey(SenderSystem, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sender_address = models.CharField(max_length=320, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["authority", "-received_at"], name="legacy_crypto_by_authority")]
