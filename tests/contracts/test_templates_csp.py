"""The Content-Security-Policy allows no inline script or style: templates keep theirs in static files."""

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "digitalpost"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)


def test_no_template_has_inline_script_style_or_event_handlers():
    found = {f"{path.relative_to(SRC)}: {match.group(0)}" for path in SRC.rglob("templates/**/*.html")
             for match in INLINE.finditer(path.read_text())}
    assert found == set()
