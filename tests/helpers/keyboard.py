"""Using a page with the keyboard only: Tab and Shift+Tab to a control, checking on the way that every focused
control shows a visible focus ring and that focus moves in reading order (WCAG 2.4.3 and 2.4.7)."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

# What the browser has focused now: a short description, whether its focus ring shows, and whether it follows
# (or, going backwards, precedes) the element focused before it in the document.
_FOCUS_STATE = """([backwards]) => {
  const element = document.activeElement;
  if (!element || element === document.body) return {name: "body", visible: false, inOrder: true};
  const style = getComputedStyle(element);
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const box = element.getBoundingClientRect();
  const onScreen = box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0;
  const previous = window.__lastFocused;
  let inOrder = true;
  if (previous && previous.isConnected && previous !== element) {
    const position = previous.compareDocumentPosition(element);
    inOrder = Boolean(position & (backwards ? Node.DOCUMENT_POSITION_PRECEDING : Node.DOCUMENT_POSITION_FOLLOWING));
  }
  window.__lastFocused = element;
  const label = (element.getAttribute("aria-label") || element.textContent || element.name || "").trim();
  return {name: `${element.tagName.toLowerCase()} ${label.slice(0, 40)}`, visible: ring && onScreen, inOrder};
}"""


def _is_focused(target: Locator) -> bool:
    return bool(target.evaluate("element => element === document.activeElement"))


def tab_to(page: Page, target: Locator, *, backwards: bool = False, limit: int = 60) -> list[str]:
    """Press Tab (Shift+Tab with `backwards`) until `target` has focus; returns what was focused on the way.
    Fails if a focused control shows no focus ring, or focus jumps against the reading order."""
    if _is_focused(target):  # already there (autofocus)
        return []
    page.evaluate("() => { window.__lastFocused = document.activeElement; }")
    path: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        state = page.evaluate(_FOCUS_STATE, [backwards])
        path.append(state["name"])
        assert state["visible"], f"no visible focus on {state['name']} (after {path})"
        assert state["inOrder"], f"focus moved against the reading order to {state['name']} (after {path})"
        if _is_focused(target):
            return path
    raise AssertionError(f"{target} not reached with {'Shift+' if backwards else ''}Tab in {limit} steps: {path}")


def press_to_navigate(page: Page, key: str) -> None:
    """Press Enter or Space on the focused link or button and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press(key)
