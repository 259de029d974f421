"""The contact register: citizens (CPR) and companies (CVR), their status, address and mailbox."""

from __future__ import annotations

import uuid

from django.db import models


class Contact(models.Model):
    class Kind(models.TextChoices):
        CITIZEN = "CITIZEN"
        COMPANY = "COMPANY"

    class Status(models.TextChoices):
        REGISTERED = "REGISTERED"
        EXEMPT = "EXEMPT"
        CLOSED = "CLOSED"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # CPR (10 digits) for citizens, CVR (8 digits) for companies.
    number = models.CharField(max_length=10)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REGISTERED)
    address_line = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="DK")
    status_changed_at = models.DateTimeField(auto_now_add=True)
    # The day the register closed the contact: a citizen's date of death, a company's closing day (CVR
    # "ophørt"). Imported with the register; the retention rules count from it (filing.services.retention).
    closed_on = models.DateField(null=True, blank=True)
    # Where the notice "you have new Digital Post" goes (no content), and whether they want it.
    notification_email = models.EmailField(blank=True)
    notify_by_email = models.BooleanField(default=True)
    # Where NemSMS messages go (E.164, e.g. +4520123456); empty = no SMS, the message stays in the mailbox only.
    mobile_number = models.CharField(max_length=16, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="one_contact_per_number")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind} {self.number})"


class Mailbox(models.Model):
    """The digital mailbox of one citizen or company; messages are delivered into it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="mailbox")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Mailbox of {self.owner}"


class Exemption(models.Model):
    """A citizen's exemption from Digital Post (fritagelse) for a period: their letters go on paper meanwhile.

    Granted and ended by an organisation's citizen-service staff; the register's own status stays as imported,
    and the recipient counts as EXEMPT on every day an active exemption covers (registry.selectors).
    """

    class Reason(models.TextChoices):
        COGNITIVE = "COGNITIVE", "cognitive impairment"
        PHYSICAL = "PHYSICAL", "physical disability"
        NO_ACCESS = "NO_ACCESS", "no access to a computer or the internet"
        NO_MITID = "NO_MITID", "cannot get MitID"
        ABROAD = "ABROAD", "lives abroad"
        LANGUAGE = "LANGUAGE", "language difficulties"
        OTHER = "OTHER", "other reason (described in the note)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="exemptions")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    note = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)  # last day exempt; empty = until ended
    granted_by = models.CharField(max_length=150)
    granted_in = models.CharField(max_length=8)  # CVR of the organisation whose staff granted it
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=150, blank=True)

    class Meta:
        indexes = [models.Index(fields=["contact", "starts_on"], name="exemptions_of_contact")]

    def __str__(self) -> str:
        return f"Exemption of {self.contact} from {self.starts_on}"


class ContactChange(models.Model):
    """One change to the register, in order: the change feed (GET /apis/v1/contacts/changes?after=<id>)."""

    class Kind(models.TextChoices):
        REGISTERED = "REGISTERED"  # new in the register
        UPDATED = "UPDATED"  # name, address or register status changed
        EXEMPTION_GRANTED = "EXEMPTION_GRANTED"
        EXEMPTION_ENDED = "EXEMPTION_ENDED"

    id = models.BigAutoField(primary_key=True)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    data = models.JSONField(default=dict)


class CompanyMailboxAccess(models.Model):
    """A company's word that one of its employees may use the company's Digital Post mailbox.

    The employee is named by the persistent professional identity their MitID Erhverv sign-in carries
    (NemLog-in's professional UUID), never by CPR number. The mailbox has no folders yet, so a right covers all of
    it; `folders` stays empty ("all") until folders exist. An administrator may also give and take rights.
    """

    class Level(models.TextChoices):
        READ = "READ", "Read"
        READ_WRITE = "READ_WRITE", "Read and write"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="employee_access")
    employee_id = models.CharField(max_length=200)
    employee_name = models.CharField(max_length=200, blank=True)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.READ)
    folders = models.JSONField(default=list, blank=True)  # empty: every folder
    is_administrator = models.BooleanField(default=False)
    granted_at = models.DateTimeField()
    granted_by = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "employee_id"], name="one_access_per_employee")]

    def __str__(self) -> str:
        return f"{self.employee_name or self.employee_id} ({self.get_level_display()})"
