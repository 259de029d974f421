"""Forms of the organisation set-up pages: profile, people and roles, mailboxes, materials, subscription groups,
and the operator's new organisation.

Forms only parse and shape input (one-per-line lists, MB to bytes); the rules are the services', whose
refusals are put on the form by the view. Choices of related objects are always the organisation's own.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from digitalpost.authorities.models import Authority, AuthorityMailbox, Material
from digitalpost.authorities.selectors import list_mailboxes, list_materials
from digitalpost.authorities.services.organisation import MAX_REPLY_DEADLINE_DAYS
from digitalpost.core.roles import ORGANISATION_ROLES, Role
from digitalpost.systems.models import ReceiverSystem
from digitalpost.systems.selectors import list_receiver_systems

MB = 1024 * 1024

KIND_LABELS = {
    Authority.Kind.MUNICIPALITY: _("Municipality"),
    Authority.Kind.REGION: _("Region"),
    Authority.Kind.STATE: _("State authority"),
    Authority.Kind.OTHER: _("Other public authority"),
}
ROLE_LABELS = {
    Role.SUPERADMIN: _("Superadministrator"),
    Role.ADMIN: _("Administrator"),
    Role.CASEWORKER: _("Caseworker"),
    Role.CITIZEN_SERVICE: _("Citizen service"),
    Role.OPERATOR: _("Platform operator"),
}
REPLY_RULE_LABELS = {
    Material.ReplyRule.NONE: _("No reply"),
    Material.ReplyRule.STANDARD: _("Replies go to the standard mailbox"),
    Material.ReplyRule.MAILBOX: _("Replies go to a named mailbox"),
}


class MailboxChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.parent.name} › {obj.name}" if obj.parent_id else str(obj.name)


class MailboxChoices(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.parent.name} › {obj.name}" if obj.parent_id else str(obj.name)


def _phone() -> forms.CharField:
    return forms.CharField(label=_("Phone"), max_length=40, required=False)


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Authority type"), choices=list(KIND_LABELS.items()))
    technical_contact_name = forms.CharField(
        label=_("Technical contact"), max_length=200, required=False,
        help_text=_("Who is called when deliveries fail or certificates expire. Alerts go to this e-mail."),
    )
    technical_contact_email = forms.EmailField(label=_("Technical contact e-mail"), required=False)
    technical_contact_phone = _phone()
    business_contact_name = forms.CharField(
        label=_("Business contact"), max_length=200, required=False,
        help_text=_("Who decides about the set-up: mailboxes, materials and who may reply."),
    )
    business_contact_email = forms.EmailField(label=_("Business contact e-mail"), required=False)
    business_contact_phone = _phone()
    reply_deadline_days = forms.IntegerField(
        label=_("Reply deadline (working days)"), min_value=1, max_value=MAX_REPLY_DEADLINE_DAYS,
        help_text=_("Inquiries not answered within this many working days are reported as overdue."),
    )

    @classmethod
    def for_authority(cls, authority: Authority, data: Any = None) -> ProfileForm:
        return cls(data, initial={name: getattr(authority, name) for name in cls.base_fields})


class PermissionsForm(forms.Form):
    may_send_mandatory = forms.BooleanField(
        label=_("May send mandatory messages"), required=False,
        help_text=_("Granted by the platform operator when the law allows the organisation to."),
    )
    may_send_legal_notification = forms.BooleanField(label=_("May send legal notifications"), required=False)


class SecureMailPolicyForm(forms.Form):
    refuse_sha1_signatures = forms.BooleanField(
        label=_("Refuse SHA-1 signatures"), required=False,
        help_text=_("Replies signed with the SHA-1 digest (Outlook 2013's default) bounce with "
                    "signature.sha1.refused instead of being filed with a doctor warning. Switch it on when every "
                    "mail client that answers citizens signs with SHA-256."),
    )
    accepts_gateway_addresses = forms.BooleanField(
        label=_("Accept gateway addresses for new letters"), required=False,
        help_text=_("New letters by secure mail may be addressed <CPR or CVR>@<CVR or mailbox id>.<the hub's mail "
                    "domain>, as NgDP's Outlook add-ons do. The number then travels in the mail's envelope, protected "
                    "by TLS but not end to end encrypted. Switch it off to accept the recipient only inside the "
                    "encrypted mail."),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254,
        help_text=_("We mail an invitation link there. The person becomes a member only when they open it, sign in "
                    "(or create a user) and accept."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=[(r.value, ROLE_LABELS[r]) for r in ORGANISATION_ROLES])
    mailboxes = MailboxChoices(
        label=_("Mailboxes (caseworkers)"), queryset=AuthorityMailbox.objects.none(), required=False,
        help_text=_("A caseworker reads and answers the inquiries of these mailboxes only."),
    )

    def __init__(self, authority: Authority, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mailboxes"].queryset = list_mailboxes(authority)  # type: ignore[attr-defined]


class CaseworkerMailboxesForm(forms.Form):
    mailboxes = MailboxChoices(
        label=_("Mailboxes"), queryset=AuthorityMailbox.objects.none(), required=False,
        help_text=_("The caseworker reads and answers the inquiries of these mailboxes only."),
    )

    def __init__(self, authority: Authority, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mailboxes"].queryset = list_mailboxes(authority)  # type: ignore[attr-defined]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class MailboxForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    parent = MailboxChoice(
        label=_("Placed under"), queryset=AuthorityMailbox.objects.none(), required=False,
        empty_label=_("(top level)"),
    )
    topics = forms.CharField(
        label=_("Topics"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line. Citizens choose one when they write."),
    )
    metadata_fields = forms.CharField(
        label=_("Fields the citizen fills in"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line; end a line with * to make the field required (e.g. 'Case number*')."),
    )
    max_message_mb = forms.DecimalField(
        label=_("Largest inquiry (MB)"), min_value=Decimal("0.1"), max_value=Decimal(100), decimal_places=1,
        help_text=_("Documents included. The usual limit is 10 MB."),
    )
    is_open = forms.BooleanField(label=_("Open for inquiries"), required=False)
    is_visible = forms.BooleanField(label=_("Visible to citizens and companies"), required=False)
    is_standard = forms.BooleanField(
        label=_("Standard mailbox"), required=False,
        help_text=_("Replies to materials with the rule 'standard mailbox' come here. Choosing it moves the "
                    "flag from the current standard mailbox."),
    )
    receiver_system = forms.ModelChoiceField(
        label=_("Receiver system"), queryset=ReceiverSystem.objects.none(), required=False,
        empty_label=_("(none)"),
        help_text=_("Where inquiries to this mailbox are delivered. Without one, inquiries wait undelivered."),
    )

    def __init__(self, authority: Authority, *args: Any, mailbox: AuthorityMailbox | None = None,
                 **kwargs: Any) -> None:
        if mailbox is not None:
            kwargs.setdefault("initial", self.initial_for(mailbox))
        else:
            kwargs.setdefault("initial", {"is_open": True, "is_visible": True, "max_message_mb": 10})
        super().__init__(*args, **kwargs)
        parents = list_mailboxes(authority)
        if mailbox is not None:
            parents = parents.exclude(pk=mailbox.pk)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.fields["receiver_system"].queryset = list_receiver_systems(authority)  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(mailbox: AuthorityMailbox) -> dict[str, Any]:
        return {
            "name": mailbox.name, "description": mailbox.description, "parent": mailbox.parent_id,
            "topics": "\n".join(t.name for t in mailbox.topics.all()),
            "metadata_fields": "\n".join(
                f.label + ("*" if f.is_required else "") for f in mailbox.metadata_fields.all()
            ),
            "max_message_mb": (Decimal(mailbox.max_message_bytes) / MB).quantize(Decimal("0.1")),
            "is_open": mailbox.is_open, "is_visible": mailbox.is_visible, "is_standard": mailbox.is_standard,
            "receiver_system": mailbox.receiver_system_id,
        }

    def values(self) -> dict[str, Any]:
        """The cleaned input as the mailbox services' keyword arguments."""
        data = self.cleaned_data
        return {
            "name": data["name"], "description": data["description"], "parent": data["parent"],
            "topics": _lines(data["topics"]),
            "metadata_fields": [(line.removesuffix("*").strip(), line.endswith("*"))
                                for line in _lines(data["metadata_fields"])],
            "max_message_bytes": int(data["max_message_mb"] * MB),
            "is_open": data["is_open"], "is_visible": data["is_visible"], "is_standard": data["is_standard"],
            "receiver_system": data["receiver_system"],
        }


class MaterialForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("The kind of letter, e.g. 'Decision on "
                                                                         "housing benefit'."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reply_rule = forms.ChoiceField(label=_("Replies"), choices=list(REPLY_RULE_LABELS.items()),
                                   widget=forms.RadioSelect)
    reply_mailbox = MailboxChoice(label=_("Reply mailbox"), queryset=AuthorityMailbox.objects.none(),
                                  required=False, help_text=_("Only for 'a named mailbox'."))
    is_mandatory = forms.BooleanField(
        label=_("Mandatory"), required=False,
        help_text=_("Only organisations permitted to send mandatory messages may mark a material mandatory."),
    )

    def __init__(self, authority: Authority, *args: Any, material: Material | None = None, **kwargs: Any) -> None:
        if material is not None:
            kwargs.setdefault("initial", {
                "name": material.name, "description": material.description, "reply_rule": material.reply_rule,
                "reply_mailbox": material.reply_mailbox_id, "is_mandatory": material.is_mandatory,
            })
        else:
            kwargs.setdefault("initial", {"reply_rule": Material.ReplyRule.STANDARD})
        super().__init__(*args, **kwargs)
        self.fields["reply_mailbox"].queryset = list_mailboxes(authority)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("reply_rule") == Material.ReplyRule.MAILBOX and not data.get("reply_mailbox"):
            self.add_error("reply_mailbox", _("Choose the mailbox replies go to."))
        return data


class SubscriptionGroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    materials = forms.ModelMultipleChoiceField(
        label=_("Materials"), queryset=Material.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Recipients who subscribe to the group receive these kinds of letters."),
    )

    def __init__(self, authority: Authority, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["materials"].queryset = list_materials(authority)  # type: ignore[attr-defined]


class OrganisationForm(forms.Form):
    cvr = forms.CharField(label=_("CVR number"), max_length=8, min_length=8)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Authority type"), choices=list(KIND_LABELS.items()))
    may_send_mandatory = forms.BooleanField(label=_("May send mandatory messages"), required=False)
    may_send_legal_notification = forms.BooleanField(label=_("May send legal notifications"), required=False)
    superadmin_username = forms.CharField(
        label=_("First superadministrator: user name"), max_length=150, validators=[UnicodeUsernameValidator()],
        help_text=_("A new user name creates the user with an initial password shown once; an existing user "
                    "becomes superadministrator of the new organisation."),
    )
    superadmin_full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    superadmin_email = forms.EmailField(label=_("E-mail"), required=False)
