"""Accessibility checks in the real browser: Deque's axe-core engine run inside the page, plus the form-error
wiring axe cannot judge.

`assert_accessible(page)` fails with every violation of WCAG 2.0/2.1 level A and AA on the page as it is now
(after any clicks or a refused form), each with the rule, its help page and the offending elements. axe-core is
pinned in tests/helpers/axe_core/package-lock.json and installed by scripts/setup-node-tools.sh (`make test` runs it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page

AXE_JS = Path(__file__).resolve().parent / "axe_core" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA: the bar of the Danish web accessibility act (EN 301 549).
WCAG_AA_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
# axe files these under "best-practice", not under a WCAG tag, yet a screen-reader user relies on them: every
# page has one main landmark and one h1, nothing outside a landmark, headings in order, a working skip link.
BEST_PRACTICE_RULES = ("landmark-one-main", "page-has-heading-one", "region", "heading-order", "skip-link",
                       "landmark-unique", "landmark-no-duplicate-banner", "landmark-no-duplicate-contentinfo")

# axe reports what it cannot decide as "incomplete" (needs review): a reference to a missing id, say. Those count as
# failures too, except contrast over images, charts and overlapping boxes, which axe cannot measure: the colours
# in inbox.css and portal.css were checked by hand (docs/accessibility.md).
REVIEWED_BY_EYE = ("color-contrast",)

_RUN_AXE = """async ([tags, rules, reviewedByEye]) => {
  const wanted = axe.getRules(tags)
    .filter(rule => !rule.tags.some(tag => tag === "experimental" || tag === "deprecated"));
  const ids = [...new Set([...wanted.map(rule => rule.ruleId), ...rules])];
  const results = await axe.run(document, {runOnly: {type: "rule", values: ids},
                                           resultTypes: ["violations", "incomplete"]});
  const undecided = results.incomplete.filter(result => !reviewedByEye.includes(result.id));
  return [...results.violations, ...undecided].map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary})),
  }));
}"""

# Django (5.2) points a field with errors at its error list (aria-describedby="id_x_error") and marks it
# aria-invalid; this checks the ids exist, so a refused form tells a screen reader what is wrong with which field.
# It also checks the page's title is plain text.
_FORM_ERROR_WIRING = """() => {
  const problems = [];
  for (const field of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
    for (const attribute of ["aria-describedby", "aria-labelledby"]) {
      for (const id of (field.getAttribute(attribute) || "").split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) {
          problems.push(`${field.outerHTML.slice(0, 120)}: ${attribute} names missing #${id}`);
        }
      }
    }
  }
  for (const field of document.querySelectorAll("[aria-invalid=true]")) {
    const described = (field.getAttribute("aria-describedby") || "").split(/\\s+/)
      .map(id => document.getElementById(id)).filter(Boolean);
    if (!described.some(element => element.matches(".errorlist, [role=alert], .error"))) {
      problems.push(`${field.outerHTML.slice(0, 120)}: invalid, but not described by its error message`);
    }
  }
  // WCAG 2.4.2: the title names the page; markup in it means a template put the page's body in its title block.
  if (/[<>]/.test(document.title)) {
    problems.push(`the page title holds markup: ${document.title.slice(0, 120)}`);
  }
  return problems;
}"""


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    help_url: str
    nodes: tuple[dict[str, str], ...]

    def describe(self) -> str:
        lines = [f"{self.rule} ({self.impact}): {self.help} <{self.help_url}>"]
        lines += [f"    {node['target']}: {node['html'][:200]}\n      {node['summary']}" for node in self.nodes]
        return "\n".join(lines)


def _axe_path() -> Path:
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run scripts/setup-node-tools.sh (make test does)")
    return AXE_JS


@cache
def _axe_source() -> str:
    return _axe_path().read_text(encoding="utf-8")


def preload_axe(context: BrowserContext) -> None:
    """Load axe-core into every page the context opens from now on (cheaper than loading it per check when a
    test checks many pages). Init scripts run before the page's own and outside its Content-Security-Policy."""
    context.add_init_script(path=str(_axe_path()))


def _load_axe(page: Page) -> None:
    # The pages' Content-Security-Policy (script-src 'self', no inline script) stays on: a <script> tag would be
    # refused, so the engine's source is evaluated through the DevTools protocol, which the page's policy does
    # not govern (as are init scripts, above). The product is checked exactly as it is served, and the CSP watch
    # of the browser tests keeps working on the same pages; no `bypass_csp` anywhere.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(f"() => {{ {_axe_source()}\n}}")


def axe_violations(page: Page) -> list[Violation]:
    """The WCAG 2.0/2.1 A and AA violations axe-core finds in the page as it is now (plus the best-practice
    rules above)."""
    _load_axe(page)
    found: list[dict[str, Any]] = page.evaluate(_RUN_AXE, [list(WCAG_AA_TAGS), list(BEST_PRACTICE_RULES),
                                                                 list(REVIEWED_BY_EYE)])
    return [Violation(v["id"], v["impact"] or "", v["help"], v["helpUrl"], tuple(v["nodes"])) for v in found]


def form_error_problems(page: Page) -> list[str]:
    return list(page.evaluate(_FORM_ERROR_WIRING))


def assert_accessible(page: Page) -> None:
    """Fails on any axe-core violation (WCAG 2.0/2.1 A and AA) and on form errors not tied to their field."""
    violations = axe_violations(page)
    problems = form_error_problems(page)
    report = [violation.describe() for violation in violations] + problems
    assert not report, f"{page.url} is not accessible:\n" + "\n".join(report)


def summary(violations: list[Violation]) -> str:
    """Rule id → number of offending elements, for reports."""
    counts: dict[str, int] = {}
    for violation in violations:
        counts[violation.rule] = counts.get(violation.rule, 0) + len(violation.nodes)
    return json.dumps(dict(sorted(counts.items())))
