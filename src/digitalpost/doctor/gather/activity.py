"""The activity half of the snapshot: refused replies, inquiries waiting for an answer, receivers' failures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from digitalpost.authorities.models import Authority


def gather_activity(authority: Authority, now: datetime) -> dict[str, Any]:
    # "receiver_activity": {receiver id: {ReceiverSystemInfo field: value}} is merged into the set-up's receivers.
    return {"refusals": (), "waiting_inquiries": (), "probes": (), "receiver_activity": {}}
