"""What a restored hub must still show: every document readable, every event and audit chain intact, the
doctor's findings. `python -m helpers.hub_state` prints it as JSON for a hub in another process."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any


def hub_state() -> dict[str, Any]:
    from digitalpost.audit.selectors import verify_audit_log
    from digitalpost.doctor.services import examine_all
    from digitalpost.hub.blobs import blob_store
    from digitalpost.messages.models import Message
    from digitalpost.messages.services.events import verify_timeline

    store = blob_store()
    documents = {}
    broken_timelines = []
    for message in Message.objects.order_by("pk").prefetch_related("documents"):
        documents[str(message.pk)] = [hashlib.sha256(store.read(doc.blob)).hexdigest()
                                      for doc in message.documents.order_by("pk")]
        if verify_timeline(message) is not None:
            broken_timelines.append(str(message.pk))
    audit = verify_audit_log()
    doctor = {examined.authority.cvr: sorted(f.code for f in examined.plain) for examined in examine_all()}
    return {"documents": documents, "events": sum(m.events.count() for m in Message.objects.all()),
            "broken_timelines": broken_timelines, "audit_entries": audit.entries, "audit_intact": audit.intact,
            "doctor": doctor}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitalpost.config.settings")
    import django

    django.setup()
    print(json.dumps(hub_state()))
