"""The package README's example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import digitalpost.protocols.memo as memo

README = Path(memo.__file__).with_name("README.md")


def test_readme_example_runs(capsys):
    code = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert code is not None

    exec(compile(code.group(1), str(README), "exec"), {})  # noqa: S102 - our own documentation

    printed = capsys.readouterr().out
    assert "/Message/MessageBody/MainDocument/File[1] main afgørelse.pdf" in printed
    assert "memo.invalid /Message/MessageBody/MainDocument/File[1]/filename" in printed
