"""The package README's example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import digitalpost.protocols.smime as smime

README = Path(smime.__file__).with_name("README.md")


def test_readme_example_runs(capsys):
    code = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert code is not None

    exec(compile(code.group(1), str(README), "exec"), {})  # noqa: S102 - our own documentation

    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("CN=Nordby sender,O=digitalpost development ")
    assert printed[1:] == ["Hej, vi har modtaget din besked.", "[]", "65", "signature.missing",
                           "['decrypted', 'signed'] aes256_cbc sha256"]
