"""Gathering: one organisation's state read from the database into the plain `OrgSnapshot` the checks read.

`setup.py` reads the configuration (certificates, systems, mailboxes, materials, people); `activity.py` reads
what happened (refused replies, waiting inquiries, receiver failures, traffic, probes). Not for: judging it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from digitalpost.authorities.models import Authority
from digitalpost.doctor.checks.snapshot import OrgSnapshot
from digitalpost.doctor.gather.activity import gather_activity
from digitalpost.doctor.gather.setup import gather_setup


def build_snapshot(authority: Authority, now: datetime) -> OrgSnapshot:
    setup = gather_setup(authority, now)
    activity = gather_activity(authority, now)
    # The receivers come from the set-up; what they did (waiting inquiries, last error) from the activity.
    receiver_activity = activity.pop("receiver_activity", {})
    setup["receiver_systems"] = tuple(replace(r, **receiver_activity.get(r.id, {})) for r in setup["receiver_systems"])
    return OrgSnapshot(
        cvr=authority.cvr, name=authority.name, created_at=authority.created_at,
        technical_contact_name=authority.technical_contact_name,
        technical_contact_email=authority.technical_contact_email,
        reply_deadline_days=authority.reply_deadline_days,
        **setup,
        **activity,
    )
