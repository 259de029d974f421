"""`digitalpost doctor`, `digitalpost probe` and `digitalpost scheduler`: the doctor's command-line side.

`doctor` examines one organisation or all and prints the findings (a table, or the stable JSON document of
docs/doctor.md); its exit status is 2 on any critical finding, 1 on warnings, 0 when clean, 3 when the
organisation asked for does not exist. `probe` sends the synthetic inquiries; `scheduler` repeats the doctor
(with alerts) and, if asked, the probe until SIGTERM. The commands only parse, call doctor services and render.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from digitalpost.cli.common import console
from digitalpost.cli.common import django_setup as _django

if TYPE_CHECKING:
    from digitalpost.authorities.models import Authority
    from digitalpost.doctor.services import Examined

errors = Console(stderr=True)
log = logging.getLogger("digitalpost.scheduler")

EXIT_UNKNOWN = 3  # the organisation or mailbox asked for does not exist
_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}




def _authority(cvr: str) -> Authority:
    from digitalpost.authorities.selectors import get_authority_by_cvr

    found = get_authority_by_cvr(cvr.strip())
    if found is None:
        errors.print(f"[red]No organisation with CVR {cvr}.[/red] Check the number (8 digits); "
                     "`digitalpost doctor` without --org examines every organisation.")
        raise typer.Exit(EXIT_UNKNOWN)
    return found


def doctor_document(examined: list[Examined]) -> dict[str, Any]:
    """The stable JSON document (docs/doctor.md, "JSON output")."""
    from django.utils import timezone

    from digitalpost.core.findings import worst
    from digitalpost.doctor.links import finding_json

    at = examined[0].at if examined else timezone.now()
    organisations = []
    for one in examined:
        found = one.plain
        top = worst(found)
        organisations.append({
            "cvr": one.authority.cvr,
            "name": one.authority.name,
            "worst": top.value if top is not None else None,
            "counts": {level: sum(f.severity.value == level for f in found)
                       for level in ("critical", "warning", "info")},
            "findings": [finding_json(one.authority.cvr, f) for f in found],
        })
    return {"checkedAt": at.isoformat().replace("+00:00", "Z"), "organisations": organisations}


def _print_examined(examined: list[Examined]) -> None:
    """One block per finding (a table's columns fold into unreadable slivers in an 80-column terminal)."""
    for one in examined:
        found = one.plain
        if not found:
            console.print(f"[green]✓ {one.authority.name} ({one.authority.cvr}): no findings[/green]")
            continue
        counts = ", ".join(f"{sum(f.severity.value == level for f in found)} {level}"
                           for level in ("critical", "warning", "info"))
        console.print(f"\n[bold]{one.authority.name} ({one.authority.cvr})[/bold]: {counts}")
        for finding in found:
            stage = f" ({finding.stage})" if finding.stage else ""
            console.print(f"[{_STYLE[finding.severity.value]}]{finding.severity.value.upper():<8}[/] "
                          f"[bold]{finding.code}[/bold]{stage} — "
                          f"{finding.subject.kind.value.replace('_', ' ')}: {finding.subject.name}", highlight=False)
            console.print(f"         why: {finding.why}", highlight=False)
            console.print(f"         fix: {finding.fix}", highlight=False)


def doctor(
    org: str = typer.Option("", "--org", help="Only this organisation (CVR). Default: every organisation."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON document of docs/doctor.md."),
    alert: bool = typer.Option(False, "--alert", help="Also e-mail the alerts due (new or escalated findings)."),
) -> None:
    """Examine organisations and list what is wrong. Exit 2: critical, 1: warnings, 0: clean, 3: no such CVR."""
    _django()
    from digitalpost.core.findings import exit_code
    from digitalpost.doctor.alerts import send_alerts
    from digitalpost.doctor.services import examine, examine_all

    examined = [examine(_authority(org))] if org else examine_all()
    if as_json:
        typer.echo(json.dumps(doctor_document(examined), indent=2, ensure_ascii=False))
    else:
        _print_examined(examined)
    if alert:
        sent = [row for one in examined for row in send_alerts(one)]
        delivered = sum(row.delivered for row in sent)
        errors.print(f"alerts: {delivered} sent, {len(sent) - delivered} not delivered"
                     + "".join(f"\n  {row.code} {row.fingerprint}: {row.error}" for row in sent if not row.delivered))
    raise typer.Exit(exit_code([f for one in examined for f in one.plain]))


def probe(
    mailbox: str = typer.Option("", "--mailbox", help="Only this mailbox (its id)."),
    org: str = typer.Option("", "--org", help="Only this organisation's open mailboxes (CVR)."),
) -> None:
    """Send a synthetic inquiry through each open mailbox's real route. Exit 2 if any probe failed, 3: no such id."""
    _django()
    from digitalpost.doctor.probe import probe_mailboxes

    authority = _authority(org) if org else None
    try:
        results = probe_mailboxes(authority=authority, mailbox_id=mailbox or None)
    except LookupError:
        errors.print(f"[red]No mailbox {mailbox}{' in ' + org if org else ''}.[/red] "
                     "The portal's mailbox page shows its id.")
        raise typer.Exit(EXIT_UNKNOWN) from None
    table = Table(title="Probe", title_justify="left", show_lines=True)
    for column in ("organisation", "mailbox", "route", "outcome", "detail"):
        table.add_column(column, overflow="fold")
    for result in results:
        style = "green" if result.outcome == "OK" else "bold red" if result.outcome == "FAILED" else "yellow"
        table.add_row(result.authority.cvr, result.mailbox_name, result.route, f"[{style}]{result.outcome}[/]",
                      result.detail)
    console.print(table if results else "No open mailboxes to probe.")
    raise typer.Exit(2 if any(r.outcome == "FAILED" for r in results) else 0)


STANDBY_POLL_SECONDS = 2.0


def _one_pass(*, probe_every: float, retention_due: bool = True) -> None:
    """One scheduler iteration: examine all + alerts, retention when due, then the probe if it is due. Errors are
    logged, not fatal."""
    from digitalpost.doctor.alerts import examine_and_alert
    from digitalpost.doctor.probe import is_probe_due, probe_mailboxes

    try:
        done = examine_and_alert()
        delivered = sum(a.delivered for a in done.alerts)
        console.print(f"scheduler: {len(done.examined)} organisations examined, {delivered} alerts sent, "
                      f"{len(done.alerts) - delivered} not delivered")
    except Exception:
        log.exception("scheduler: the doctor pass failed")
    if retention_due:
        _retention_pass()
    if probe_every <= 0:
        return
    try:
        if is_probe_due(timedelta(hours=probe_every)):
            results = probe_mailboxes()
            failed = sum(r.outcome == "FAILED" for r in results)
            console.print(f"scheduler: {len(results)} mailboxes probed, {failed} failed")
    except Exception:
        log.exception("scheduler: the probe failed")


def _retention_pass() -> None:
    """Deleted post past its days and closed mailboxes past theirs are removed (audited by the service)."""
    from django.utils import timezone

    from digitalpost.filing.services.retention import run_retention

    try:
        report = run_retention(now=timezone.now())
        if report.total:
            console.print(f"scheduler: retention removed {report.total} messages "
                          f"({', '.join(f'{k} {v}' for k, v in report.messages.items() if v)})")
    except Exception:
        log.exception("scheduler: the retention pass failed")


def scheduler(
    every: float = typer.Option(60, "--every", envvar="DIGITALPOST_DOCTOR_EVERY_MINUTES",
                                help="Minutes between doctor runs (examine all + alerts)."),
    probe_every: float = typer.Option(0, "--probe-every", envvar="DIGITALPOST_PROBE_EVERY_HOURS",
                                      help="Hours between probes; 0 (the default) never probes."),
    retention_every: float = typer.Option(24, "--retention-every", envvar="DIGITALPOST_RETENTION_EVERY_HOURS",
                                          help="Hours between retention passes; 0 leaves retention to "
                                               "`digitalpost retention run`."),
    once: bool = typer.Option(False, "--once", help="Run one iteration and stop."),
) -> None:
    """Run the doctor (and alerts) every N minutes, retention every R hours and the probe every M hours, until
    SIGTERM/SIGINT."""
    _django()
    if every <= 0:
        raise typer.BadParameter("give a number of minutes above 0", param_hint="--every")
    if once:
        _one_pass(probe_every=probe_every, retention_due=retention_every > 0)
        return
    from django.conf import settings

    from digitalpost.doctor.services import scheduler_pass
    from digitalpost.hub.leadership import Leadership

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    probing = f", probe every {probe_every:g} hours" if probe_every > 0 else ", probe off"
    retaining = f", retention every {retention_every:g} hours" if retention_every > 0 else ", retention off"
    console.print(f"scheduler: doctor every {every:g} minutes{retaining}{probing}")
    # On several nodes every node runs a scheduler; one leads, the others stand by and take over if it dies.
    leadership = Leadership("doctor-scheduler")
    leading = None
    # Retention walks every mailbox's due post, so it keeps its own, slower pace. Kept in memory: a restarted or
    # newly leading scheduler runs it on its first pass, which is harmless (a pass removes only what is due).
    last_retention: float | None = None
    try:
        while not stop.is_set():
            try:
                now_leading = leadership.try_acquire()
            except Exception:
                log.exception("scheduler: could not ask for leadership; trying again")
                now_leading = False
            if now_leading != leading:
                console.print("scheduler: leading" if now_leading else "scheduler: standing by (another one leads)")
                leading = now_leading
            if leading:
                # Recorded with this node's name: the log of passes shows which node led when (never two at once).
                retention_due = retention_every > 0 and (
                    last_retention is None or time.monotonic() - last_retention >= retention_every * 3600)
                with scheduler_pass(node=settings.DIGITALPOST_NODE_NAME, pid=os.getpid()):
                    _one_pass(probe_every=probe_every, retention_due=retention_due)
                if retention_due:
                    last_retention = time.monotonic()
                stop.wait(every * 60)
            else:
                stop.wait(STANDBY_POLL_SECONDS)
    finally:
        leadership.release()
    console.print("scheduler: stopped")
