"""Form pieces both web entry points use (the authority portal and the citizen's mailbox): one
`<input type=file multiple>` field, so uploads are read the same way on every page.

Not for: rules about the files (count, size, names, types) — those are the services'. Imports nothing of ours,
so `portal` and `inbox`, which must not import each other, can both import it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """`<input type=file multiple>`: a list of uploaded files, empty ones included (the service judges them)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]
