"""Where the address goes: the window of the C5 and C5/6 (DL) window envelopes used for Danish letters.

An A4 letter folded for a C5 or DL window envelope shows a band about 45–77 mm from the top edge, starting
20 mm from the left: C5 windows are commonly 44–79 mm from the top and 15 mm in, DL windows 45–90 mm and 20 mm
in. The address box below sits inside both, with 2–3 mm to spare, so a letter fits either envelope. Values are
in millimetres from the page's top-left corner (people measure paper that way; PDF measures from the bottom).
"""

from __future__ import annotations

from dataclasses import dataclass

A4_WIDTH_MM = 210.0
A4_HEIGHT_MM = 297.0
MM_TO_PT = 72 / 25.4


@dataclass(frozen=True, slots=True)
class Box:
    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def contains(self, x_mm: float, y_mm: float) -> bool:
        return self.left <= x_mm <= self.right and self.top <= y_mm <= self.bottom


ADDRESS_WINDOW = Box(left=20.0, top=46.0, width=85.0, height=31.0)
MAX_ADDRESS_LINES = 6  # lines of the recipient's name and address that fit the window at 10 pt
# Outside the window, so sorting machines never mistake the sender for the recipient.
SENDER_BLOCK = Box(left=125.0, top=20.0, width=70.0, height=30.0)


def pdf_y(top_mm: float) -> float:
    """A distance from the top edge in mm as a PDF y coordinate (points from the bottom edge)."""
    return (A4_HEIGHT_MM - top_mm) * MM_TO_PT


def top_mm(pdf_y_points: float) -> float:
    """A PDF y coordinate as mm from the top edge (for checking where text landed)."""
    return A4_HEIGHT_MM - pdf_y_points / MM_TO_PT
