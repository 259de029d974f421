"""Reads of the contact register: single and bulk look-up of registration status."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError

from digitalpost.registry.models import Contact


def get_contact(kind: Contact.Kind, number: str) -> Contact | None:
    return Contact.objects.select_related("mailbox").filter(kind=kind, number=number).first()


def list_contacts(kind: Contact.Kind, numbers: Iterable[str]) -> dict[str, Contact]:
    wanted = set(numbers)
    return {c.number: c for c in Contact.objects.filter(kind=kind, number__in=wanted)}


def get_contact_by_id(contact_id: str) -> Contact | None:
    try:
        return Contact.objects.filter(pk=contact_id).first()
    except (ValueError, ValidationError):
        return None


def list_demo_identities() -> list[Contact]:
    """Everyone in the register, for the demo sign-in page (demo mode only)."""
    return list(Contact.objects.order_by("kind", "name"))
