"""The package README's example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import digitalpost.protocols.threads as threads

README = Path(threads.__file__).with_name("README.md")


def test_readme_example_runs(capsys):
    code = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert code is not None

    exec(compile(code.group(1), str(README), "exec"), {})  # noqa: S102 - our own documentation

    assert capsys.readouterr().out.split("\n") == ["v1.k2024.", "subject True", "thread.not.yours", ""]
