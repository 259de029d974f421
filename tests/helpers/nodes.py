"""Several hub nodes on this machine: each a whole `digitalpost run` process tree (web, workers, scheduler, print
pass) with its own DIGITALPOST_VAR and node name, all sharing one database, one object store and one print spool —
a multi-host installation folded onto 127.0.0.1. Used by the two-node kill test and `bench/nodes.py`.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from helpers.hub_process import SCRUBBED_ENV, VENV_BIN, descendants, free_port, processes_with_env, stop

START_TIMEOUT = 90.0


@dataclass
class Node:
    name: str
    port: int
    var: Path
    proc: subprocess.Popen[bytes]
    log: Path

    def tree(self) -> list[int]:
        """`digitalpost run` and every process below it."""
        return [self.proc.pid, *descendants(self.proc.pid)] if self.proc.poll() is None else []

    def signal_tree(self, sig: signal.Signals) -> None:
        for pid in self.tree():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole node at once, as a host losing power would: first frozen (SIGSTOP), so no process
        sees another die and stops in good order (the children's parent-death signal is SIGTERM), then killed."""
        pids = self.tree()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)  # each child leads a process group of its own
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def healthy(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", "/apis/v1/health")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def node_env(name: str, var: Path, *, database_url: str, shared: dict[str, str]) -> dict[str, str]:
    """A production-like environment (not demo, not testing) for one node; `shared` is what every node shares."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update({
        "DIGITALPOST_VAR": str(var), "DIGITALPOST_NODE_NAME": name, "DATABASE_URL": database_url,
        "DIGITALPOST_SMTP_RELAY_HOST": "127.0.0.1", "DIGITALPOST_SMTP_RELAY_PORT": str(free_port()),
        **shared,
    })
    return env


def start_node(name: str, var: Path, env: dict[str, str], *run_args: str) -> Node:
    var.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = var / "node.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(VENV_BIN / "digitalpost"), "run", "--port", str(port), *run_args], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return Node(name=name, port=port, var=var, proc=proc, log=log)


def wait_healthy(nodes: list[Node]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    for node in nodes:
        while not node.healthy():
            assert node.proc.poll() is None, f"node {node.name} exited ({node.proc.returncode}):\n{node.log_text()}"
            assert time.monotonic() < deadline, f"node {node.name} did not start:\n{node.log_text()}"
            time.sleep(0.2)


@contextlib.contextmanager
def running_nodes(specs: list[tuple[str, Path, dict[str, str]]], *run_args: str) -> Iterator[list[Node]]:
    """Start every node (name, var, env), wait until each answers, stop the survivors with SIGTERM afterwards."""
    nodes: list[Node] = []
    try:
        for name, var, env in specs:
            nodes.append(start_node(name, var, env, *run_args))
        wait_healthy(nodes)
        yield nodes
    finally:
        for node in nodes:
            stop(node.proc)
            for pid in processes_with_env("DIGITALPOST_VAR", str(node.var)):  # nothing a node started outlives it
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
