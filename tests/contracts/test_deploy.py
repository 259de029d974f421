"""deploy/ matches the code: the compose file is valid Compose, every service runs a real `digitalpost` command,
every work kind has a worker, and the systemd units pass `systemd-analyze verify`.

No image is built and no container started here (`make test` must not need a container engine); docs/deploy.md
§15 says what was run by hand. The compose file is checked against the Compose Specification's schema as
`check-jsonschema` ships it (`--builtin-schema vendor.compose-spec`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer
import yaml

from digitalpost.cli.main import app
from digitalpost.outbox.models import WorkKind

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
UNITS = DEPLOY / "systemd"
CONTAINERFILE = DEPLOY / "container" / "Containerfile"
INSTALLED_EXE = "/opt/digitalpost/bin/digitalpost"


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def hub_commands() -> dict[str, list[str]]:
    """service name → the arguments given to `digitalpost`, for every service run from the hub's image."""
    services = compose()["services"]
    return {name: service["command"] for name, service in services.items()
            if service.get("image") == services["web"]["image"]}


def unit_commands() -> dict[str, list[str]]:
    found = {}
    for unit in sorted(UNITS.glob("*.service")):
        (line,) = [row for row in unit.read_text().splitlines() if row.startswith("ExecStart=")]
        exe, *args = line.removeprefix("ExecStart=").split()
        assert exe == INSTALLED_EXE, unit.name
        found[unit.name] = args
    return found


def resolves(args: list[str]) -> bool:
    """Whether the arguments name a `digitalpost` command and options it accepts (parsed, not run)."""
    command: click.Command | None = typer.main.get_command(app)
    path, rest = ["digitalpost"], list(args)
    while isinstance(command, click.Group):
        name, *rest = rest
        command = command.get_command(click.Context(command), name)
        assert command is not None, f"{' '.join(path)} has no command {name!r}"
        path.append(name)
    assert command is not None
    command.make_context(" ".join(path), rest)  # unknown options or a bad value raise here
    return True


def check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema",
                           "vendor.compose-spec", str(path)], capture_output=True, text=True, timeout=120)


def test_the_compose_file_is_valid_compose(tmp_path):
    checked = check_compose(COMPOSE)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The same check refuses a service with an option Compose does not have.
    broken = tmp_path / "compose.yaml"
    typo = "services:\n  typo:\n    image: x\n    comand: y\n"
    broken.write_text(COMPOSE.read_text().replace("services:\n", typo, 1))
    refused = check_compose(broken)
    assert refused.returncode != 0
    assert "comand" in refused.stdout


def test_every_hub_service_and_unit_runs_a_real_command():
    commands = {**hub_commands(), **unit_commands()}
    assert {"web", "worker", "gateway", "scheduler", "print", "migrate"} <= set(hub_commands())
    for where, args in commands.items():
        assert resolves(args), where


@pytest.mark.parametrize("source", ["compose", "systemd"])
def test_every_work_kind_has_a_worker(source):
    commands = hub_commands() if source == "compose" else unit_commands()
    taken = set()
    for args in commands.values():
        if args[0] == "worker":
            taken |= set(args[args.index("--kinds") + 1].split(","))
    assert taken == set(WorkKind.values)


def test_files_the_compose_file_mounts_from_the_repository_exist():
    nginx = compose()["services"]["nginx"]
    sources = [volume.split(":")[0] for volume in nginx["volumes"]]
    assert "./nginx/digitalpost.conf" in sources  # the file tests/api/test_mtls_nginx.py runs
    assert (DEPLOY / "nginx" / "digitalpost.conf").is_file()
    build = compose()["services"]["web"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == CONTAINERFILE


def test_the_image_installs_the_lock_file_runs_unprivileged_and_enters_by_digitalpost():
    text = CONTAINERFILE.read_text()
    assert re.search(r"^FROM \S*debian:bookworm-slim", text, re.MULTILINE)  # Debian 12: Python 3.11
    assert "-r /src/requirements.lock" in text
    for copied in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE):
        for path in copied.split():
            assert (REPO / path).exists(), path
    (user,) = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert not user.startswith(("root", "0"))
    assert re.search(r'^ENTRYPOINT \["digitalpost"\]$', text, re.MULTILINE)


def test_the_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: scripts/setup-system.sh installs systemd"
    for unit in [*UNITS.glob("*.service"), *UNITS.glob("*.target")]:
        # The installed path does not exist here: the copies point ExecStart at this venv's `digitalpost`.
        text = unit.read_text().replace(INSTALLED_EXE, str(Path(sys.executable).parent / "digitalpost"))
        (tmp_path / unit.name).write_text(text)
    units = sorted(str(p) for p in tmp_path.iterdir())
    done = subprocess.run([analyze, "verify", *units], capture_output=True, text=True, timeout=120, check=False)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 0, problems
    assert problems == []  # unknown keys are only warned about, with exit status 0
