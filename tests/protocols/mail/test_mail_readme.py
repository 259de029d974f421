"""The package README's example runs as written and prints what it says."""

from __future__ import annotations

import re
from pathlib import Path

import digitalpost.protocols.mail as mail

README = Path(mail.__file__).with_name("README.md")


def test_readme_example_runs_and_prints_what_the_readme_shows(capsys):
    blocks = re.findall(r"```(\w*)\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    code = next(text for kind, text in blocks if kind == "python")
    shown = next(text for kind, text in blocks if kind == "")

    exec(compile(code, str(README), "exec"), {})  # noqa: S102 - our own documentation

    assert capsys.readouterr().out == shown
