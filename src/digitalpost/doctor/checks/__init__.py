"""Doctor checks: small pure functions over an organisation's snapshot that yield findings (STYLE rule 10).

One module per failure class of the brief's §1. Checks never query or send anything; `doctor.gather` builds
the snapshot and `doctor.services` stores what they find. Importing this package registers every check.
"""

from digitalpost.doctor.checks import (  # noqa: F401  (imported to register their checks)
    certificates,
    legacy_crypto,
    mailboxes,
    materials,
    push_endpoints,
    receivers,
    refused_replies,
    responsibility,
    sender_systems,
    unanswered,
)
from digitalpost.doctor.checks.registry import CHECKS, register, registered_finding_codes, run_checks
from digitalpost.doctor.checks.snapshot import OrgSnapshot

__all__ = ["CHECKS", "OrgSnapshot", "register", "registered_finding_codes", "run_checks"]
