"""The list of checks: each registers the finding codes it may yield, so docs and tests can enumerate them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from digitalpost.core.findings import Finding
from digitalpost.doctor.checks.snapshot import OrgSnapshot

CheckFunction = Callable[[OrgSnapshot, datetime], Iterator[Finding]]


@dataclass(frozen=True)
class Check:
    name: str  # module.function, for messages when a check itself breaks
    codes: tuple[str, ...]
    function: CheckFunction


CHECKS: list[Check] = []


def register(*codes: str) -> Callable[[CheckFunction], CheckFunction]:
    """Declare a check and every finding code it may yield (a code it yields without declaring is a bug)."""

    def add(function: CheckFunction) -> CheckFunction:
        CHECKS.append(Check(name=f"{function.__module__.rpartition('.')[2]}.{function.__name__}", codes=codes,
                            function=function))
        return function

    return add


def registered_finding_codes() -> list[str]:
    return sorted({code for check in CHECKS for code in check.codes})


def run_checks(snapshot: OrgSnapshot, now: datetime) -> list[Finding]:
    """Every registered check over one snapshot, most urgent first, then by code and object name."""
    found: list[Finding] = []
    for check in CHECKS:
        for finding in check.function(snapshot, now):
            if finding.code not in check.codes:
                raise RuntimeError(f"check {check.name} yielded undeclared code {finding.code!r}")
            found.append(finding)
    return sorted(found, key=lambda f: (-f.severity.rank, f.code, f.subject.name, f.subject.id))
