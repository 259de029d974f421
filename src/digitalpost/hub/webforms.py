"""Form pieces both web entry points use (the authority portal and the citizen's mailbox): one
`<input type=file multiple>` field, so uploads are read the same way on every page; and the scope of a power of
attorney (the whole mailbox, or chosen folders as checkboxes), given by the citizen and registered by staff alike.

Not for: rules about the files (count, size, names, types) — those are the services'. Imports nothing of ours,
so `portal` and `inbox`, which must not import each other, can both import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """`<input type=file multiple>`: a list of uploaded files, empty ones included (the service judges them)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]


WHOLE_MAILBOX = "WHOLE_MAILBOX"
FOLDERS = "FOLDERS"


class PowerScopeForm(forms.Form):
    """"The whole mailbox" or "only chosen folders", with the grantor's folders as checkboxes (the caller passes
    them as (value, label): attorney.selectors.list_folder_choices). Whether the values are the grantor's own is
    the service's to judge."""

    # Not required: a form sent without it (an older page) means the whole mailbox, as before folders existed.
    scope = forms.ChoiceField(label=_("What the power of attorney covers"), widget=forms.RadioSelect,
                              initial=WHOLE_MAILBOX, required=False,
                              choices=[(WHOLE_MAILBOX, _("The whole mailbox")),
                                       (FOLDERS, _("Only the folders ticked below"))])
    folders = forms.MultipleChoiceField(label=_("Folders"), widget=forms.CheckboxSelectMultiple, required=False,
                                        help_text=_("New post arrives in Inbox. Deleted can never be chosen."))

    def __init__(self, *args: Any, folder_choices: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        folders = self.fields["folders"]
        assert isinstance(folders, forms.MultipleChoiceField)
        folders.choices = list(folder_choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == FOLDERS and not data.get("folders"):
            self.add_error("folders", _("Tick at least one folder, or choose the whole mailbox."))
        return data

    def chosen_folders(self) -> list[str] | None:
        """None for the whole mailbox; else the ticked values (for attorney.services.grant_power's `folders`)."""
        if self.cleaned_data.get("scope") != FOLDERS:
            return None
        return list(self.cleaned_data.get("folders") or [])
