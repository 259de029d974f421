"""Reading printed letters back: where each text run landed on the page, in millimetres."""

from __future__ import annotations

from digitalpost.protocols.letters import top_mm
from digitalpost.protocols.letters.window import MM_TO_PT


def text_positions(page) -> list[tuple[str, float, float]]:
    """Each text run on the page with its position in mm from the left and from the top edge."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x / MM_TO_PT, top_mm(y)))

    page.extract_text(visitor_text=visit)
    return found
