"""Messages, their documents, the hash-chained event log and the receipts sender systems pull."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from digitalpost.authorities.models import Authority, AuthorityMailbox
from digitalpost.core.lifecycle import EventKind, ReceiptStatus
from digitalpost.registry.models import Contact, Mailbox
from digitalpost.systems.models import SenderPushEndpoint, SenderSystem


class Thread(models.Model):
    """A conversation between one citizen or company and one authority mailbox (the dialog thread)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="threads")
    authority_mailbox = models.ForeignKey(AuthorityMailbox, on_delete=models.PROTECT, related_name="threads")
    topic = models.CharField(max_length=200, blank=True)
    party = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="threads")
    subject = models.CharField(max_length=256)
    # The authority may close a conversation to further replies from the citizen ("no reply").
    party_may_reply = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()
    # Casework in the portal: who handles the conversation, and when it was marked handled (a new inquiry
    # in the thread opens it again).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["party", "-last_activity_at"], name="threads_of_party"),
            models.Index(fields=["authority_mailbox", "-last_activity_at"], name="threads_of_mailbox"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.id})"


class Message(models.Model):
    class State(models.TextChoices):
        ACCEPTED = "ACCEPTED"
        DELIVERED = "DELIVERED"
        FAILED = "FAILED"
        RECALLED = "RECALLED"

    class Direction(models.TextChoices):
        TO_PARTY = "TO_PARTY"  # authority → citizen or company
        TO_AUTHORITY = "TO_AUTHORITY"  # citizen or company → an authority mailbox

    # Our messageId; the sender's own id is message_uuid.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    transmission_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message_uuid = models.UUIDField()
    sender_message_id = models.CharField(max_length=256, blank=True)
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=12, choices=Direction.choices, default=Direction.TO_PARTY)
    # The system that sent it (authority → party); empty for inquiries written by a citizen or company.
    sender_system = models.ForeignKey(
        SenderSystem, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    # The citizen's or company's mailbox: where it is delivered, or (for inquiries) whose sent item it is.
    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="messages")
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.PROTECT, related_name="messages")
    sender_label = models.CharField(max_length=256)
    # Written in the mailbox by someone acting for its owner (a power-of-attorney holder): their name, shown as
    # "on behalf of"; empty when the owner wrote it. For a forwarded letter: who forwarded it (see forwarded_from).
    written_by = models.CharField(max_length=200, blank=True)
    # A letter forwarded from another mailbox: the original (which stays untouched in its own mailbox).
    forwarded_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    label = models.CharField(max_length=256)
    message_type = models.CharField(max_length=16)
    memo_version = models.CharField(max_length=4)
    is_mandatory = models.BooleanField(default=False)
    is_legal_notification = models.BooleanField(default=False)
    # Allowed by policy but marked: an authority writing to another authority as a company.
    is_to_authority_as_company = models.BooleanField(default=False)
    do_not_deliver_until = models.DateField(null=True, blank=True)
    # The exact bytes received, for idempotent replay and forwarding: blob key (its SHA-256).
    memo_blob = models.CharField(max_length=64)
    # Small MeMos ride in the row until the worker moves them to the blob store, so accepting one costs a
    # single commit (decision 0003). Empty once the blob and the documents are stored.
    pending_memo = models.BinaryField(null=True, blank=True, editable=False)
    # Each file of the MeMo as acceptance found it (messages.services.documents.document_parts): where its base64
    # text lies in the MeMo's bytes and what its Document row says, so delivery decodes the files without parsing
    # the MeMo again. Set with pending_memo and emptied with it; None (accepted before, or not shown): parse.
    # An inquiry has it from its start (its MeMo goes to the blob store at once): the forward reads its files there.
    document_parts = models.JSONField(null=True, blank=True, editable=False)
    # An inquiry's fields the citizen entered (conversations.fields.entered_fields) as [label, value] pairs,
    # recorded when it is stored, so the forward's metadata file needs no parse of the MeMo's header. None
    # (stored before, or not an inquiry): read from the MeMo. Content: retention empties it.
    entered_fields = models.JSONField(null=True, blank=True, editable=False)
    memo_sha256 = models.CharField(max_length=64)
    memo_size = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACCEPTED)
    channel = models.CharField(max_length=8, default="DIGITAL")  # core.kombi.Channel: DIGITAL or PRINT
    accepted_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # A letter the party may answer (MeMo `reply`): the mailbox the answer goes to (the contact point the MeMo
    # named, else the authority's standard mailbox) and the deadline (`replyByDateTime`). Empty: no answer.
    answer_mailbox = models.ForeignKey(AuthorityMailbox, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    answer_by = models.DateTimeField(null=True, blank=True)
    # A legal notification's first opening by the recipient themself (MESSAGE_LEGALLY_NOTIFIED); empty until then.
    legally_notified_at = models.DateTimeField(null=True, blank=True)
    # The MeMo's actions as core.actions records, and what "needs action" asks of them: the latest deadline and
    # whether any action has none (open while unread).
    actions = models.JSONField(default=list, blank=True)
    actions_open_until = models.DateTimeField(null=True, blank=True)
    has_undated_action = models.BooleanField(default=False)
    # The content was removed (filing.services.retention): documents, MeMo and subject are gone, the row stays as
    # the tombstone its events and receipts hang on. Nobody's mailbox shows it any more.
    content_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["authority", "message_uuid"], name="one_message_per_uuid"),
        ]
        indexes = [
            models.Index(fields=["mailbox", "-delivered_at"], name="mailbox_inbox"),
            # The mailbox's lists and counts (filing.selectors.list_box): letters delivered and not removed, with
            # what the list, its count and the unread count need, so they are read from the index alone.
            models.Index(fields=["mailbox", "-delivered_at", "-id", "read_at", "direction", "state",
                                 "content_deleted_at"], name="mailbox_letters",
                         condition=models.Q(direction="TO_PARTY", state="DELIVERED", content_deleted_at=None)),
            # A mailbox newest first by arrival, with what visible_messages asks: a folder, Sent and a search walk
            # one mailbox in page order from the index alone and stop at the page's end (filing.selectors; SQLite's
            # statistics hold a mailbox's average size, so it walks the mailbox whatever the search matched).
            models.Index(fields=["mailbox", "-accepted_at", "-id", "content_deleted_at", "direction", "state"],
                         name="mailbox_by_arrival"),
            # Removing a blob asks whether any other message still holds it (content-addressed: shared).
            models.Index(fields=["memo_blob"], name="messages_by_memo_blob"),
            # "Needs action": only letters with actions are in it, so the index stays small.
            models.Index(fields=["mailbox", "actions_open_until"], name="mailbox_actions",
                         condition=models.Q(actions_open_until__isnull=False) | models.Q(has_undated_action=True)),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.message_uuid})"


class Document(models.Model):
    class Role(models.TextChoices):
        MAIN = "main"
        ADDITIONAL = "additional"
        TECHNICAL = "technical"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="documents")
    position = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=10, choices=Role.choices)
    label = models.CharField(max_length=256, blank=True)
    filename = models.CharField(max_length=256)
    media_type = models.CharField(max_length=256)
    language = models.CharField(max_length=2, blank=True)
    size = models.PositiveIntegerField()
    blob = models.CharField(max_length=64)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["message", "position"], name="one_document_per_position")]
        # Removing a blob asks whether any other document still holds it (a mass send shares one PDF).
        indexes = [models.Index(fields=["blob"], name="documents_by_blob")]


class Event(models.Model):
    """One entry of a message's append-only timeline; `hash` chains it to the entry before."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=32, choices=[(k.value, k.value) for k in EventKind])
    at = models.DateTimeField()
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["message", "seq"], name="one_event_per_seq")]


class Receipt(models.Model):
    """A status report for the sending system; `id` is the pull cursor."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="receipts")
    sender_system = models.ForeignKey(SenderSystem, on_delete=models.PROTECT, related_name="receipts")
    status = models.CharField(max_length=12, choices=[(s.value, s.value) for s in ReceiptStatus])
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["sender_system", "id"], name="receipts_by_system")]
        constraints = [models.UniqueConstraint(fields=["message", "status"], name="one_receipt_per_status")]


class EventPush(models.Model):
    """One event to push to one sender endpoint: pending until the endpoint answered 2xx (`pushed_at`).

    Rows are written in the transaction that appends the event, with the message row locked, so a message's rows
    are numbered in the order of its events; the endpoint's pushes go out in `id` order, one at a time, and the
    first that fails stops the rest (docs/decisions/0007-receipt-push-queue.md). A replay writes new rows.
    """

    endpoint = models.ForeignKey(SenderPushEndpoint, on_delete=models.CASCADE, related_name="pushes")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="pushes")
    created_at = models.DateTimeField()
    pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["endpoint", "id"], condition=models.Q(pushed_at__isnull=True),
                                name="pending_pushes")]


class RefusedReply(models.Model):
    """A reply or mail the hub could not file, with the code it was bounced with: the doctor counts these."""

    code = models.CharField(max_length=64)
    detail = models.TextField(blank=True)
    authority = models.ForeignKey(Authority, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.PROTECT, related_name="refusals")
    sender_address = models.CharField(max_length=320, blank=True)
    signer_subject = models.CharField(max_length=500, blank=True)
    # How the refused reply came: "secure-mail" (the gateway) or "rest" (POST /apis/v1/memos with ReplyData);
    # a REST refusal names the calling sender system, which its token proved.
    channel = models.CharField(max_length=16, default="secure-mail")
    sender_system = models.ForeignKey(SenderSystem, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    received_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["authority", "-received_at"], name="refusals_by_authority")]
