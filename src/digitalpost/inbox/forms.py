"""The form a citizen or company fills in to write to an authority mailbox.

The form only parses: it shapes the mailbox's own fields (topics, metadata fields) into inputs and turns
what was entered into an `Inquiry`. The rules (open mailbox, topic, required fields, size, number and names
of attachments) are the service's; its refusals are shown on the page with their code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from digitalpost.messages.services.inquiries import Inquiry

if TYPE_CHECKING:
    from digitalpost.authorities.models import AuthorityMailbox

SUBJECT_MAX_LENGTH = 256
METADATA_MAX_LENGTH = 1000
METADATA_PREFIX = "field_"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """`<input type=file multiple>`: a list of uploaded files, empty ones included (the service judges them)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]


class InquiryForm(forms.Form):
    required_css_class = "required"

    def __init__(self, mailbox: AuthorityMailbox, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topics = [topic.name for topic in mailbox.topics.all()]
        if topics:
            self.fields["topic"] = forms.ChoiceField(
                label=_("Topic"), choices=[("", _("Choose a topic")), *((t, t) for t in topics)]
            )
        self.fields["subject"] = forms.CharField(label=_("Subject line"), max_length=SUBJECT_MAX_LENGTH)
        self.fields["text"] = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 10}))
        self.metadata_labels: dict[str, str] = {}
        for position, field in enumerate(mailbox.metadata_fields.all()):
            name = f"{METADATA_PREFIX}{position}"
            self.metadata_labels[name] = field.label
            self.fields[name] = forms.CharField(
                label=field.label, required=field.is_required, max_length=METADATA_MAX_LENGTH
            )
        self.fields["attachments"] = MultipleFileField(
            label=_("Attachments"), required=False, help_text=_("You can attach up to 10 files.")
        )

    def metadata_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.metadata_labels]

    def attached_filenames(self) -> list[str]:
        """Names of the files sent with a refused form: a browser cannot keep them, so the page lists them."""
        return [f.name or "" for f in self.files.getlist("attachments")] if self.is_bound else []

    def to_inquiry(self) -> Inquiry:
        data = self.cleaned_data
        return Inquiry(
            subject=data["subject"],
            text=data["text"].replace("\r\n", "\n"),  # a browser sends a textarea's lines with CRLF
            topic=data.get("topic", ""),
            metadata=tuple(
                (label, data[name]) for name, label in self.metadata_labels.items() if data.get(name)
            ),
            attachments=[
                (f.name or "", f.content_type or "application/octet-stream", f.read()) for f in data["attachments"]
            ],
        )


class FollowupForm(forms.Form):
    """Writing again in a conversation: text and files; mailbox, topic and subject come from the thread."""

    text = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(
        label=_("Attachments"), required=False, help_text=_("You can attach up to 10 files.")
    )

    def files_sent(self) -> list[tuple[str, str, bytes]]:
        return [(f.name or "", f.content_type or "application/octet-stream", f.read())
                for f in self.cleaned_data["attachments"]]
