"""One room per concept: every package of src/digitalpost is on the maps a reader uses, and no map names a room
that is gone.

The maps are the README's tour of the folders, the layers diagram of docs/architecture.md and the layout in the
house style (`../shared/STYLE.md`, read where it lies: it is shared between checkouts, never copied here).
The tests follow the rooms too: one folder per package, shared code in tests/helpers/, imported without
touching sys.path.
"""

from __future__ import annotations

import re
import tomllib
from itertools import pairwise
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "digitalpost"
TESTS = REPO / "tests"
STYLE = REPO.parent / "shared" / "STYLE.md"

# Apps with models whose move is not part of issue 12 ("One room per concept"): STYLE's target layout folds mass
# sends into messages/outbox and notices into delivery, but moving a model is a migration of its own. Any other
# package missing from STYLE's layout fails the test; so does an entry here that STYLE has come to list.
# `filing` (issue 15: a person's folders, search index, deletion and retention) and `attorney` (powers of attorney)
# are new rooms; STYLE.md is shared between checkouts and is not edited from here, so they wait here for their
# lines in STYLE's layout.
NOT_YET_IN_STYLE = {"bulk", "notifications", "filing", "attorney"}

# Test folders that mirror no package: the contract tests, the end-to-end tests, the shared helpers.
NOT_A_ROOM = {"contracts", "e2e", "helpers"}
# Modules beside the tests that are neither tests, conftests nor helpers: the cast (STYLE rule 12), the script
# that runs the suite on PostgreSQL, and the S/MIME tests' support module, which moves to helpers/ once the
# S/MIME rework of tests/protocols/smime has landed (it is imported from its own folder until then).
BESIDE_THE_TESTS = {"cast.py", "with_postgres.py", "protocols/smime/smime_support.py",
                    "protocols/smime/interop.py"}


def packages(folder: Path = SRC) -> set[str]:
    return {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()}


def tour_paths() -> list[str]:
    """The folders the README's tour names, spelled out: `src/digitalpost/x/`, `y/` → src/digitalpost/x, …/y."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## A tour of the folders", 1)[1].split("\n## ", 1)[0]
    paths = []
    for row in section.splitlines():
        if not row.startswith("| `"):
            continue
        parent = ""
        for name in re.findall(r"`([\w./-]+/)`", row.split("|")[1]):
            if "/" in name.rstrip("/"):  # a full path: its parent is where the short names that follow it live
                parent = str(Path(name).parent)
                paths.append(name.rstrip("/"))
            else:
                paths.append(str(Path(parent) / name.rstrip("/")))
    return paths


def tour_packages() -> set[str]:
    prefix = "src/digitalpost/"
    return {p.removeprefix(prefix).split("/")[0] for p in tour_paths() if p.startswith(prefix)}


def architecture_layers_by_row() -> list[list[str]]:
    """The package names in the left column of the layers diagram of docs/architecture.md, row by row."""
    page = (REPO / "docs" / "architecture.md").read_text()
    diagram = page.split("## Layers", 1)[1].split("```", 2)[1]
    rows = []
    for line in diagram.splitlines():
        if not line.strip() or line.startswith(" "):  # a description carried over to the next line
            continue
        left = re.split(r"\s{2,}", line, maxsplit=1)[0]
        rows.append([name.strip() for name in left.split("·") if name.strip()])
    return rows


def architecture_layers() -> list[str]:
    return [name for row in architecture_layers_by_row() for name in row]


def architecture_rows() -> dict[str, int]:
    """Each package of the layers diagram and its row, counted from the top."""
    rows: dict[str, int] = {}
    for number, names in enumerate(architecture_layers_by_row()):
        rows.update(dict.fromkeys(names, number))
    return rows


def contract_layers() -> list[set[str]]:
    """The layers of the import contract in pyproject.toml, top first."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    return [{name.strip().removeprefix("digitalpost.") for name in layer.split("|")} for layer in contract["layers"]]


def architecture_mentions() -> set[str]:
    """The first part of every package path the page names in backticks: `conversations.services.receive`,
    `doctor/checks/` (file names such as `dkalmetadata.xml` are not packages)."""
    page = (REPO / "docs" / "architecture.md").read_text()
    found = set()
    for ref in re.findall(r"`([a-z_]+(?:[./][a-z_]+)*/?)`", page):
        if "." in ref and ref.rsplit(".", 1)[1] in {"xml", "md", "json", "py", "toml", "pem", "eml"}:
            continue
        if "." in ref or "/" in ref:
            found.add(re.split(r"[./]", ref)[0])
    return found


def style_layout() -> set[str]:
    """The packages STYLE's layout lists directly under src/digitalpost/."""
    assert STYLE.is_file(), f"the house style is read from {STYLE}; it is missing"
    lines = STYLE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("├── src/digitalpost/"))
    names = set()
    for line in lines[start + 1:]:
        if not line.startswith("│"):  # the next entry of the repository root ends src/digitalpost/
            break
        if match := re.match(r"│   [├└]── (\w+)/", line):
            names.add(match.group(1))
    return names


def test_every_package_is_in_the_readme_tour():
    assert packages() - tour_packages() == set()


def test_the_readme_tour_names_only_folders_that_exist():
    assert [path for path in tour_paths() if not (REPO / path).is_dir()] == []


def test_every_package_is_in_the_architecture_layers():
    assert packages() - set(architecture_layers()) == set()


def test_the_architecture_layers_name_only_packages_that_exist():
    assert [name for name in architecture_layers() if name not in packages()] == []


def test_the_architecture_layers_are_in_the_order_the_import_contract_enforces():
    rows = architecture_rows()
    contract = [[rows[name] for name in sorted(layer)] for layer in contract_layers()]
    # A lower layer of the contract never sits above a higher one in the diagram.
    assert all(max(upper) <= min(lower) for upper, lower in pairwise(contract))


def test_the_architecture_page_mentions_only_packages_that_exist():
    known = packages() | packages(SRC / "protocols") | {"deploy", "docs"}
    assert architecture_mentions() - known == set()


def test_every_package_is_in_the_style_layout_but_the_named_exceptions():
    assert packages() - style_layout() - NOT_YET_IN_STYLE == set()


@pytest.mark.parametrize("name", sorted(NOT_YET_IN_STYLE))
def test_each_exception_is_a_package_the_style_layout_still_lacks(name):
    assert name in packages()
    assert name not in style_layout()


def test_every_test_folder_mirrors_a_package():
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and p.name != "__pycache__"}
    protocols = {p.name for p in (TESTS / "protocols").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders - packages() - NOT_A_ROOM == set()
    assert protocols - packages(SRC / "protocols") == set()


def test_shared_test_code_lives_in_helpers():
    modules = {str(p.relative_to(TESTS)) for p in TESTS.rglob("*.py")
               if not p.name.startswith("test_") and p.name != "conftest.py" and "helpers" not in p.parts}
    assert modules - BESIDE_THE_TESTS == set()


def test_no_test_reaches_a_helper_by_changing_sys_path():
    changing = re.compile(r"\bsys\.path\.(insert|append|extend)\(")
    assert [str(p.relative_to(TESTS)) for p in TESTS.rglob("*.py") if changing.search(p.read_text())] == []
