"""Materials and subscription groups that point nowhere: replies to a letter that cannot be written or arrive.

A material's reply rule says where citizens' replies to its letters go: a named mailbox, the organisation's
standard mailbox, or nowhere by design (NONE). When that mailbox is missing or closed, the citizen cannot answer
the letter. Subscription groups bundle materials for citizens to subscribe to; an empty one subscribes them to
nothing. Not for: whether the reply mailbox itself delivers (mailboxes.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from digitalpost.core.findings import Finding, Severity, Subject, SubjectKind
from digitalpost.doctor.checks.registry import register
from digitalpost.doctor.checks.snapshot import MailboxInfo, MaterialInfo, OrgSnapshot

STANDARD = "STANDARD"
MAILBOX = "MAILBOX"

MISSING = "material.reply.mailbox.missing"
CLOSED = "material.reply.mailbox.closed"
NO_STANDARD = "material.no.standard.mailbox"


@dataclass(frozen=True)
class ReplyProblem:
    code: str
    mailbox: MailboxInfo | None  # the mailbox replies would go to, when it exists


def reply_problem(org: OrgSnapshot, material: MaterialInfo) -> ReplyProblem | None:
    """What stops citizens from replying to the material's letters under its reply rule; None when nothing does."""
    if material.reply_rule == MAILBOX:
        target = org.mailbox(material.reply_mailbox_id)
        if target is None:
            return ReplyProblem(MISSING, None)
    elif material.reply_rule == STANDARD:
        target = next((m for m in org.mailboxes if m.is_standard), None)
        if target is None:
            return ReplyProblem(NO_STANDARD, None)
    else:
        return None  # NONE: letters of this material take no reply, by design
    return None if target.is_open else ReplyProblem(CLOSED, target)


@register(MISSING, CLOSED, NO_STANDARD)
def material_reply_rules(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    for material in org.materials:
        problem = reply_problem(org, material)
        if problem is None:
            continue
        subject = Subject(SubjectKind.MATERIAL, material.id, material.name)
        facts: dict[str, str | int] = {"replyRule": material.reply_rule}
        if problem.code == MISSING:
            why = (f"Replies to letters of {material.name} go to a mailbox that no longer exists in this "
                   "organisation, so citizens cannot answer them.")
            fix = "Portal → Materials → this material: choose an existing mailbox for replies, or the standard mailbox."
            facts["replyMailboxId"] = material.reply_mailbox_id or ""
        elif problem.code == NO_STANDARD:
            why = (f"Replies to letters of {material.name} go to the standard mailbox, but the organisation has "
                   "none, so citizens cannot answer them.")
            fix = ("Portal → Mailboxes: mark an open mailbox as the standard mailbox; or Portal → Materials → this "
                   "material: choose a named mailbox for replies.")
        else:
            assert problem.mailbox is not None
            which = "the standard mailbox" if material.reply_rule == STANDARD else "the mailbox"
            why = (f"Replies to letters of {material.name} go to {which} {problem.mailbox.name}, which is closed "
                   "for inquiries, so citizens cannot answer them.")
            fix = (f"Portal → Mailboxes → {problem.mailbox.name}: open it again; or Portal → Materials → this "
                   "material: send replies to an open mailbox.")
            facts |= {"replyMailboxId": problem.mailbox.id, "replyMailboxName": problem.mailbox.name}
        yield Finding(code=problem.code, severity=Severity.CRITICAL, subject=subject, why=why, fix=fix, facts=facts)


@register("subscription.group.empty", "subscription.group.reply.broken")
def subscription_groups(org: OrgSnapshot, now: datetime) -> Iterator[Finding]:
    materials = {m.id: m for m in org.materials}
    for group in org.subscription_groups:
        subject = Subject(SubjectKind.SUBSCRIPTION_GROUP, group.id, group.name)
        members = [materials[i] for i in group.material_ids if i in materials]
        if not members:
            yield Finding(
                code="subscription.group.empty", severity=Severity.WARNING, subject=subject,
                why=(f"The subscription group {group.name} has no materials: citizens and companies who subscribe "
                     "to it receive nothing."),
                fix=("Portal → Materials → Subscription groups → this group: add the materials it is about, or "
                     "delete the group."),
            )
            continue
        broken = [m.name for m in members if reply_problem(org, m) is not None]
        if broken:
            yield Finding(
                code="subscription.group.reply.broken", severity=Severity.WARNING, subject=subject,
                why=(f"Subscribers to {group.name} cannot reply to letters of {', '.join(broken)}: their reply "
                     "mailbox is missing or closed."),
                fix=("Portal → Materials: fix the reply mailbox of each material named (see the material's own "
                     "finding), or remove it from the group under Portal → Materials → Subscription groups."),
                facts={"materials": ", ".join(broken), "count": len(broken)},
            )
