"""Writing to the audit log. Called by every set-up service, inside that service's transaction."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from digitalpost.audit.models import AuditEntry, AuditHead
from digitalpost.core.hashchain import link_hash
from digitalpost.core.roles import Actor

# Never written to the log, whatever the model: secrets and bulky blobs.
_NEVER_LOGGED = {"token_sha256", "password", "pem", "pending_memo"}


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None, **extra: Any) -> dict[str, Any]:
    """A JSON-safe picture of a model's fields (foreign keys as ids) for the before/after columns."""
    names = list(fields) if fields is not None else [
        f.attname for f in instance._meta.concrete_fields if f.attname not in _NEVER_LOGGED
    ]
    picture = {name.removesuffix("_id") if name.endswith("_id") else name: _plain(getattr(instance, name))
               for name in names}
    picture.update({k: _plain(v) for k, v in extra.items()})
    return picture


def record_change(
    *, actor: Actor, organisation: str, action: str, target: models.Model | None = None,
    object_type: str = "", object_id: str = "", object_label: str = "",
    before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Must run inside the transaction that makes the change, so both or neither land."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_change() must run inside the transaction that makes the change")
    if target is not None:
        object_type = object_type or target._meta.model_name or ""
        object_id = object_id or str(target.pk)
        object_label = object_label or str(target)
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    entry = AuditEntry(
        seq=head.seq + 1, at=timezone.now(), actor_user_id=actor.user_id, actor_label=actor.label[:150],
        organisation=organisation, action=action, object_type=object_type, object_id=object_id[:64],
        object_label=object_label[:300], before=_plain(dict(before)) if before is not None else None,
        after=_plain(dict(after)) if after is not None else None, prev_hash=head.hash,
    )
    entry.hash = link_hash(head.hash, entry.body())
    entry.save(force_insert=True)
    AuditHead.objects.filter(pk=1).update(seq=entry.seq, hash=entry.hash)
    return entry
