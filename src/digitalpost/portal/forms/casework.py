"""Forms for casework and the message log: the caseworker's reply, a new letter, assigning, the inbox filter, the
log search.

The forms only parse. The rules (a reply has text, attachments follow the MeMo rules and the mailbox's size
limit, an assignee is a caseworker of the mailbox, what can be recalled) are the services'; their refusals
are shown on the form with their code.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from digitalpost.authorities.models import AuthorityMailbox
from digitalpost.conversations.selectors import InquiryStatus
from digitalpost.hub.webforms import MultipleFileField
from digitalpost.messages.models import Message
from digitalpost.messages.selectors import LogQuery
from digitalpost.protocols import mail

PARTY_NUMBER = re.compile(r"^(\d{10}|\d{8})$")


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 8}), required=False, strip=False,
        help_text=_("The reply is sent from the organisation's standard sender system and is filed in the "
                    "citizen's conversation, where they can answer it."),
    )
    attachments = MultipleFileField(
        label=_("Attachments"), required=False,
        help_text=_("Up to 10 files, for example PDF. The mailbox's size limit applies to the reply as a whole."),
    )

    def reply_text(self) -> str:
        # A browser sends a textarea's lines with CRLF; the letter stores plain LF.
        return str(self.cleaned_data["text"]).replace("\r\n", "\n")

    def files_sent(self) -> list[tuple[str, str, bytes]]:
        return [(f.name or "", f.content_type or "application/octet-stream", f.read())
                for f in self.cleaned_data["attachments"]]


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, caseworkers: list[User], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.caseworkers = {str(user.pk): user for user in caseworkers}
        choices = [("", _("Nobody")), *((pk, user.get_full_name() or user.get_username())
                                        for pk, user in self.caseworkers.items())]
        _choice_field(self, "assignee").choices = choices

    def chosen(self) -> User | None:
        return self.caseworkers.get(self.cleaned_data["assignee"])


class InquiryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Show"), required=False,
        choices=[(InquiryStatus.OPEN.value, _("Open")), (InquiryStatus.HANDLED.value, _("Handled")),
                 (InquiryStatus.ALL.value, _("All"))],
    )
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    mailbox = forms.ChoiceField(label=_("Mailbox"), required=False)

    def __init__(self, mailboxes: list[AuthorityMailbox], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "mailbox").choices = [
            ("", _("All my mailboxes")), *((str(m.pk), m.name) for m in mailboxes)
        ]

    def chosen_status(self) -> InquiryStatus:
        value = self.cleaned_data.get("status") if self.is_valid() else ""
        return InquiryStatus(value or InquiryStatus.OPEN)

    def chosen_mailbox_id(self) -> uuid.UUID | None:
        value = self.cleaned_data.get("mailbox") if self.is_valid() else ""
        return uuid.UUID(value) if value else None

    def assigned_to_me(self) -> bool:
        return bool(self.cleaned_data.get("mine")) if self.is_valid() else False


class MessageLogForm(forms.Form):
    party = forms.CharField(
        label=_("CPR or CVR number"), required=False, max_length=11,
        help_text=_("The citizen's CPR number (10 digits) or the company's CVR number (8 digits), exactly."),
    )
    label = forms.CharField(label=_("Title contains"), required=False, max_length=256)
    direction = forms.ChoiceField(
        label=_("Direction"), required=False,
        choices=[("", _("Sent and received")), (Message.Direction.TO_PARTY.value, _("Sent by us")),
                 (Message.Direction.TO_AUTHORITY.value, _("Received by us"))],
    )
    state = forms.ChoiceField(
        label=_("State"), required=False,
        choices=[("", _("Any state")), *((s.value, s.label) for s in Message.State)],
    )
    accepted_from = forms.DateField(label=_("Accepted from"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    accepted_to = forms.DateField(label=_("Accepted to"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))

    def clean_party(self) -> str:
        value = str(self.cleaned_data["party"]).replace("-", "").strip()
        if value and not PARTY_NUMBER.match(value):
            raise forms.ValidationError(_("Write a CPR number (10 digits) or a CVR number (8 digits)."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("accepted_from"), data.get("accepted_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date lies after the end date. Swap them."))
        return data

    def query(self) -> LogQuery:
        if not self.is_valid():
            return LogQuery()
        data = self.cleaned_data
        return LogQuery(party_number=data["party"], label=data["label"].strip(), direction=data["direction"],
                        state=data["state"], accepted_from=data["accepted_from"], accepted_to=data["accepted_to"])


class LetterForm(forms.Form):
    """A new letter to a citizen or company. The recipient travels only in this POSTed form, never in a URL."""

    recipient = forms.CharField(
        label=_("Recipient: CPR or CVR number"), max_length=13,
        help_text=_("The citizen's CPR number (10 digits) or the company's CVR number (8 digits)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    label = forms.CharField(label=_("Title"), max_length=256,
                            help_text=_("The letter's title, as the recipient sees it in the mailbox."))
    text = forms.CharField(
        label=_("Letter text"), widget=forms.Textarea(attrs={"rows": 10}), required=False, strip=False,
        help_text=_("Write the letter here, attach it as documents below, or both."),
    )
    documents = MultipleFileField(
        label=_("Documents"), required=False,
        help_text=_("For example PDF; at most 10. The rules for documents in Digital Post apply (docs/errors.md)."),
    )
    material = forms.ChoiceField(label=_("Material"), required=False,
                                 help_text=_("The kind of letter: its mandatory flag and reply mailbox apply."))
    mandatory = forms.BooleanField(label=_("Mandatory (the recipient cannot opt out)"), required=False)
    legal_notification = forms.BooleanField(label=_("Legal notification (with legal effect when opened)"),
                                            required=False)
    reply = forms.BooleanField(label=_("The recipient may answer the letter"), required=False)
    reply_by = forms.DateTimeField(
        label=_("Answer by"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("Optional. After this moment the recipient can no longer answer (Danish time)."),
    )
    answer_mailbox = forms.ChoiceField(
        label=_("Answers go to"), required=False,
        help_text=_("One of your mailboxes; else the material's mailbox or the standard mailbox."),
    )

    def __init__(self, *args: Any, materials: list[Any], mailboxes: list[AuthorityMailbox], may_mandatory: bool,
                 may_legal_notification: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "material").choices = [("", _("None")), *((str(m.pk), m.name) for m in materials)]
        _choice_field(self, "answer_mailbox").choices = [
            ("", _("The standard one")), *((str(m.pk), m.name) for m in mailboxes)]
        # Only the choices the organisation's sender rights allow are offered (a forged field is ignored; the
        # acceptance would refuse it anyway: mandatory.not.allowed, legal.notification.not.allowed).
        if not may_mandatory:
            del self.fields["mandatory"]
        if not may_legal_notification:
            del self.fields["legal_notification"]

    def clean_recipient(self) -> str:
        value = re.sub(r"[\s-]", "", str(self.cleaned_data["recipient"]))
        if not PARTY_NUMBER.match(value):
            raise forms.ValidationError(_("Write a CPR number (10 digits) or a CVR number (8 digits)."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not str(data.get("text") or "").strip() and not data.get("documents"):
            raise forms.ValidationError(_("The letter is empty: write its text or attach a document."))
        if data.get("reply_by") and not data.get("reply"):
            self.add_error("reply_by", _("A deadline needs “The recipient may answer the letter”."))
        return data

    def order(self) -> mail.LetterOrder:
        data = self.cleaned_data
        number = data["recipient"]
        return mail.LetterOrder(
            recipient_id=number, recipient_type="CPR" if len(number) == 10 else "CVR", label=data["label"].strip(),
            material=data["material"] or None, mandatory=bool(data.get("mandatory")),
            legal_notification=bool(data.get("legal_notification")), reply=bool(data["reply"]),
            reply_by=data["reply_by"], answer_mailbox=data["answer_mailbox"] or None,
        )

    def letter_text(self) -> str:
        # A browser sends a textarea's lines with CRLF; the letter stores plain LF.
        return str(self.cleaned_data["text"]).replace("\r\n", "\n")

    def documents_sent(self) -> list[tuple[str, str, bytes]]:
        return [(f.name or "", f.content_type or "application/octet-stream", f.read())
                for f in self.cleaned_data["documents"]]
