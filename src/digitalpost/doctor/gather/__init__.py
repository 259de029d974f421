"""Gathering: one organisation's state read from the database into the plain `OrgSnapshot` the checks read.

`setup.py` reads the configuration (certificates, systems, mailboxes, materials, people); `activity.py` reads
what happened (refused replies, waiting inquiries, receiver failures, traffic, probes). Not for: judging it.
"""

from __future__ import annotations

from datetime import datetime

from digitalpost.authorities.models import Authority
from digitalpost.doctor.checks.snapshot import OrgSnapshot
from digitalpost.doctor.gather.activity import gather_activity
from digitalpost.doctor.gather.setup import gather_setup


def build_snapshot(authority: Authority, now: datetime) -> OrgSnapshot:
    return OrgSnapshot(
        cvr=authority.cvr, name=authority.name, created_at=authority.created_at,
        technical_contact_name=authority.technical_contact_name,
        technical_contact_email=authority.technical_contact_email,
        reply_deadline_days=authority.reply_deadline_days,
        **gather_setup(authority, now),
        **gather_activity(authority, now),
    )
