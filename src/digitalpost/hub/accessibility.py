"""The accessibility statement's facts, shared by the mailbox's and the portal's page (one statement, two frames).

The statement follows the Danish form (tilgængelighedserklæring, lov om tilgængelighed af offentlige organers
websteder og mobilapplikationer); its compliance claim rests on the axe-core and keyboard browser tests
(tests/e2e/test_browser_accessibility.py, test_browser_keyboard.py), so it is updated when they change.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.http import HttpRequest

# When the statement was last prepared (reviewed against the tests above).
STATEMENT_DATE = date(2026, 12, 3)
# Where complaints about accessibility go in Denmark: the Agency for Digital Government supervises.
ENFORCEMENT_URL = "https://digst.dk/"


def statement_context(request: HttpRequest) -> dict[str, object]:
    return {"statement_date": STATEMENT_DATE, "site": request.get_host(),
            "accessibility_contact": settings.DIGITALPOST_ACCESSIBILITY_CONTACT,
            "enforcement_url": ENFORCEMENT_URL}
