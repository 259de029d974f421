"""What the hub told a citizen or company outside the mailbox: e-mail notices and reminders, and NemSMS.

One row per effect, unique per message (and kind), so a job run twice finds its effect already recorded.
Not for: the message's own timeline (the NOTICE_SENT / REMINDER_SENT / SMS_SENT events are the sender's view).
"""

from __future__ import annotations

import uuid

from django.db import models

from digitalpost.messages.models import Message


class Notice(models.Model):
    """An e-mail sent to the recipient's notification address about one message (it carries no content)."""

    class Kind(models.TextChoices):
        NEW_MAIL = "NEW_MAIL"  # "you have new Digital Post from <authority>"
        REMINDER = "REMINDER"  # a legal notification still unread after DIGITALPOST_LEGAL_REMINDER_DAYS

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    recipient = models.EmailField()
    sent_at = models.DateTimeField()
    relay_answer = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "kind"], name="one_notice_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} notice for {self.message_id}"


class Sms(models.Model):
    """A NemSMS message handed to the SMS provider, or why it was not (no mobile number)."""

    class State(models.TextChoices):
        SENT = "SENT"
        NO_NUMBER = "NO_NUMBER"  # delivered to the mailbox only

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="sms")
    state = models.CharField(max_length=10, choices=State.choices)
    mobile_number = models.CharField(max_length=16, blank=True)
    text = models.CharField(max_length=160)
    provider = models.CharField(max_length=20, blank=True)
    provider_reference = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"SMS {self.state} for {self.message_id}"


class ForwardedMail(models.Model):
    """A letter its recipient (or their power-of-attorney holder) forwarded to an e-mail address.

    A notice by default ("<who> forwarded a letter from <sender> to you"); the documents go along only when the person
    ticked that they want them, after being told that e-mail is not secure. Sent once (`sent_at`) by the NOTIFY job
    `forward-mail:<id>`. Only where the hub allows it (DIGITALPOST_FORWARD_TO_EMAIL).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="forwarded_mails")
    recipient = models.EmailField()
    include_documents = models.BooleanField(default=False)
    forwarded_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    relay_answer = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"forward of {self.message_id} by e-mail"
