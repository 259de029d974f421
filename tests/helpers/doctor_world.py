"""A healthy organisation for the doctor tests: everything the checks look for is set up right.

Nordby is given what the failure catalogue says it needs — two superadministrators, a technical contact, a
standard secure-mail sender system with a valid certificate, a standard mailbox handed to a secure address
with a valid certificate, a material that replies to it, a subscription group — so that a fault-injection test
breaks exactly one thing and expects exactly that finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from digitalpost.accounts.services import create_user, grant_role
from digitalpost.authorities.models import Authority, AuthorityMailbox, Material, SubscriptionGroup
from digitalpost.authorities.services.mailboxes import create_mailbox, update_mailbox
from digitalpost.authorities.services.materials import create_material, create_subscription_group
from digitalpost.authorities.services.organisation import update_authority_profile
from digitalpost.core.findings import Finding
from digitalpost.core.roles import Role
from digitalpost.doctor.services import examine
from digitalpost.systems.models import ReceiverSystem, SenderSystem
from digitalpost.systems.services.receivers import create_secure_address
from digitalpost.systems.services.senders import create_secure_mail_sender
from helpers.systems_pki import SystemsPki, trusted

__all__ = ["HealthyOrg", "build_healthy", "close", "codes", "findings_of", "mine", "only"]


@dataclass
class HealthyOrg:
    authority: Authority
    pki: SystemsPki
    standard_sender: SenderSystem  # secure mail, signs replies, certificate valid a year
    rest_sender: SenderSystem  # the cast's "Nordby fjernprint"
    receiver: ReceiverSystem  # the secure address borgerservice@nordby.localhost
    mailbox: AuthorityMailbox  # "Borgerservice", standard, open, handed to `receiver`
    material: Material  # replies go to the standard mailbox
    group: SubscriptionGroup


def build_healthy(cast, settings) -> HealthyOrg:
    pki = trusted(settings)
    anchors = (pki.base.ca.issued.certificate,)
    nordby = cast.nordby.authority
    update_authority_profile(authority=nordby, name=nordby.name, kind=nordby.kind,
                             technical_contact_name="Ida IT", technical_contact_email="it@nordby.localhost")
    for username in ("nora", "nils"):
        user = create_user(username=username, full_name=username.title(), email=f"{username}@nordby.localhost",
                           password="not-used-here")
        grant_role(authority=nordby, user=user, role=Role.SUPERADMIN)
    sender = create_secure_mail_sender(authority=nordby, name="Nordby sikker post", is_standard=True,
                                       certificate_pem=pki.sender_renewed.certificate.pem, trust_anchors=anchors)
    receiver = create_secure_address(authority=nordby, email="borgerservice@nordby.localhost",
                                     certificate_pem=pki.address.certificate.pem, trust_anchors=anchors)
    mailbox = create_mailbox(authority=nordby, name="Borgerservice", receiver_system=receiver, is_standard=True)
    material = create_material(authority=nordby, name="Afgørelse", reply_rule=Material.ReplyRule.STANDARD)
    group = create_subscription_group(authority=nordby, name="Byggeri", materials=[material])
    nordby.refresh_from_db()
    cast.nordby.system.refresh_from_db()
    return HealthyOrg(authority=nordby, pki=pki, standard_sender=sender, rest_sender=cast.nordby.system,
                      receiver=receiver, mailbox=mailbox, material=material, group=group)


def findings_of(org: HealthyOrg, *, now: datetime | None = None) -> list[Finding]:
    """Examine the organisation (at `now`, default the real time) and return its findings."""
    return examine(org.authority, now=now or timezone.now()).plain


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def mine(found: list[Finding], code: str) -> list[Finding]:
    """The findings with one code."""
    return [f for f in found if f.code == code]


def only(found: list[Finding], code: str) -> Finding:
    """The one finding with `code` (fails when there are none or several)."""
    (finding,) = mine(found, code)
    return finding


def close(mailbox: AuthorityMailbox) -> None:
    """Close a mailbox for new inquiries through the real service, changing nothing else."""
    update_mailbox(mailbox=mailbox, name=mailbox.name, parent=mailbox.parent, topics=[], metadata_fields=[],
                   receiver_system=mailbox.receiver_system, is_open=False, is_visible=mailbox.is_visible,
                   is_standard=mailbox.is_standard, max_message_bytes=mailbox.max_message_bytes)
