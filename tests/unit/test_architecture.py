"""The declared floors of docs/architecture.md, enforced over the imports of every module under portal/.

A module may import its own floor's package and any lower floor, never a higher floor or a sibling feature on its
own floor, at module level or inside a function; no module imports another package's private (_underscored)
names; and no portal import is hidden inside a function (that only ever hides a cycle or a dependency), except in
the app floor's modules listed in LAZY with their reason.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A name is a top-level module or package under portal/ ("portal" itself is the app factory).
FLOORS: list[tuple[str, set[str]]] = [
    (
        "core",
        {
            "config",
            "extensions",
            "database",
            "i18n",
            "errors",
            "storage",
            "crypto",
            "countries",
            "chinese",
            "forms",
            "auth",
            "views_support",
            "exports",
            "pdf",
            "jobs",
            "audit",
            "notifications",
        },
    ),
    ("accounts", {"accounts"}),
    ("programs", {"programs"}),
    ("applications", {"applications"}),
    ("reviews", {"reviews"}),
    ("decisions", {"decisions"}),
    ("letters", {"letters"}),
    ("office", {"office", "stats", "admin"}),
    ("app", {"portal", "cli", "main", "models", "seed", "seed_applications"}),
]
# Core modules are one toolbox: they may use each other. Features on one floor may not (stats must not use admin).
SHARED_FLOORS = {"core", "app"}
# The only modules whose functions may import portal modules: deliberate lazy loads of the app floor.
LAZY: dict[str, str] = {
    "portal": "the application factory imports the features when it builds the app, so that importing any "
    "portal module (a pure one in a unit test) does not load them all",
    "portal.cli": "commands load their feature when they run",
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. portal.reviews.ranking.services
    target: str  # the imported module, e.g. portal.decisions.models
    names: tuple[str, ...]
    in_function: bool
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(module: str, source: str, is_package: bool = False) -> list[Import]:
    """The portal imports of one module's source, each marked when it sits inside a function."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "portal":
                        found.append(Import(module, alias.name, (), in_function, child.lineno))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.split(".")[0] == "portal":
                    names = tuple(a.name for a in child.names)
                    submodules = [n for n in names if _is_module(f"{target}.{n}")]
                    for name in submodules:  # `from . import x` where x is a module
                        found.append(Import(module, f"{target}.{name}", (), in_function, child.lineno))
                    others = tuple(n for n in names if n not in submodules)
                    if others:
                        found.append(Import(module, target, others, in_function, child.lineno))
            visit(child, inner)

    visit(tree, False)
    return found


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def top(module: str) -> str:
    """The floor member a module belongs to: portal.reviews.ranking.services -> reviews, portal -> portal."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "portal"


def floor_of(module: str) -> tuple[int, str]:
    name = top(module)
    for index, (floor, members) in enumerate(FLOORS):
        if name in members:
            return index, floor
    raise LookupError(
        f"{module} is on no floor: add {name!r} to FLOORS in tests/unit/test_architecture.py "
        "and to docs/architecture.md"
    )


def own_package(module: str, target: str) -> bool:
    """Whether target lies in the importer's own feature package (or is the importer's own top-level module)."""
    return top(module) == top(target)


def violations(found: list[Import]) -> list[str]:
    problems = []
    for imp in found:
        here, floor = floor_of(imp.module)
        there, target_floor = floor_of(imp.target)
        where = f"{imp.module}:{imp.line} imports {imp.target}"
        if there > here:
            problems.append(f"{where}: upward, from floor {floor} to floor {target_floor}")
        elif there == here and floor not in SHARED_FLOORS and not own_package(imp.module, imp.target):
            problems.append(f"{where}: across features on floor {floor}")
        if imp.in_function and imp.module not in LAZY:
            problems.append(
                f"{where} inside a function: import it at module level (a function-level import "
                "hides a cycle or a dependency)"
            )
        if not own_package(imp.module, imp.target) or _other_subpackage(imp.module, imp.target):
            private = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
            if private:
                problems.append(f"{where}: private name(s) {', '.join(private)} of another package")
    return problems


def _other_subpackage(module: str, target: str) -> bool:
    """portal.reviews.ranking.services.views importing portal.reviews.assignment.solver.x: another package of the same feature."""
    return module.split(".")[:3] != target.split(".")[:3] and len(module.split(".")) > 3


def all_imports() -> list[Import]:
    found = []
    for path in sorted((ROOT / "portal").rglob("*.py")):
        found += imports_of(module_name(path, ROOT), path.read_text(encoding="utf-8"), path.name == "__init__.py")
    return found


def test_every_module_respects_the_floors():
    problems = violations(all_imports())
    assert not problems, "\n".join(problems)


def test_every_package_is_on_a_floor_and_the_document_names_them_all():
    packages = {top(module_name(p, ROOT)) for p in (ROOT / "portal").rglob("*.py")}
    for name in packages:
        floor_of(f"portal.{name}" if name != "portal" else "portal")
    document = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for floor, members in FLOORS:
        for name in members - {"portal"}:
            assert f"`{name}`" in document, f"docs/architecture.md does not name {name} (floor {floor})"


# ---------------------------------------------------------------- the test of the test: each rule can fail


def _check(module: str, source: str) -> list[str]:
    return violations(imports_of(module, source))


def test_an_upward_import_fails():
    assert _check("portal.reviews.ranking.services", "from ...decisions.models import Appeal\n")
    assert _check("portal.programs.call_admin", "from ..applications.documents import save_document\n")
    assert not _check("portal.decisions.services", "from ..reviews.ranking import ranking_for_call\n")


def test_an_upward_import_hidden_in_a_function_fails():
    source = "def f():\n    from ..letters.models import Letter\n    return Letter\n"
    assert any("upward" in p for p in _check("portal.applications.views", source))


def test_a_function_level_import_fails_even_downward_or_within_the_package():
    source = "def f():\n    from ..applications.models import Application\n"
    assert any("inside a function" in p for p in _check("portal.reviews.services", source))
    assert any(
        "inside a function" in p
        for p in _check("portal.reviews.services", "def f():\n    from .scoring import aggregate\n")
    )
    assert not _check("portal.cli", "def f():\n    from .seed import load_demo\n")  # the app floor loads lazily


def test_features_on_one_floor_do_not_import_each_other():
    assert _check("portal.stats.services", "from ..admin.views import bp\n")
    assert not _check("portal.database", "from .extensions import db\n")  # core is one toolbox


def test_core_imports_no_feature():
    assert _check("portal.database", "from .reviews.ranking import mark_changed\n")
    assert _check("portal.views_support", "from .applications.services import ApplicationError\n")


def test_a_private_name_of_another_package_fails():
    assert _check("portal.reviews.assignment.auto", "from ...applications.services import _external\n")
    assert not _check("portal.reviews.assignment.auto", "from .pool import _private_helper\n")


def test_a_module_on_no_floor_is_named():
    with pytest.raises(LookupError, match="newthing"):
        _check("portal.newthing.x", "from ..extensions import db\n")
