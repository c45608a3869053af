"""The apps import one way (docs/architecture.md, "Layers").

Every .py file of every package at the repository's root (tests/ aside) is parsed with ``ast``;
every import in it, at the top of the module or inside a function, is checked against
``LAYERS``: a module may import its own package and any package of a lower layer, nothing at
its own layer from another package and nothing above. Dynamic imports (``importlib``,
``__import__``) and ``except ImportError`` are refused outright: they are how a cycle hides.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. Packages on one line are siblings: neither may import the other.
# scoring.engine is pure computation (no Django, no model; STYLE.md point 4) that the meeting's
# satisfaction tally shares with the results, so it sits below everything and imports nothing
# of the project; targets.engine, the targets' scoring rules, is its sibling there. org
# (districts and persistent units) sits between core and sessions. awards draws on published
# results and on the targets' annual scores, so it sits above scoring.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("scoring.engine", "targets.engine"),
    ("core",),
    ("org",),
    ("sessions",),
    ("meeting", "projects", "targets"),
    ("scoring",),
    ("awards", "screen"),
    ("huiji_review",),
)

NOT_CHECKED = {"tests"}  # tests may import every layer


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    importer: str  # the importing module's package in LAYERS
    imported: str  # the imported package in LAYERS, or what was refused
    statement: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} -> {self.imported} ({self.statement})"


def package_of(module: str) -> str | None:
    """The LAYERS entry that owns ``module`` (the longest matching prefix), or None when the
    module is not the project's (Django, the standard library, a dependency)."""
    best = None
    for rank in LAYERS:
        for package in rank:
            if (module == package or module.startswith(package + ".")) and (
                best is None or len(package) > len(best)
            ):
                best = package
    return best


def rank_of(package: str) -> int:
    return next(i for i, rank in enumerate(LAYERS) if package in rank)


def allowed(importer: str, imported: str) -> bool:
    return importer == imported or rank_of(imported) < rank_of(importer)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """Fully qualified names an import statement reaches (``from a import b`` gives ``a.b``,
    which may be a submodule such as ``scoring.engine``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = package[: len(package) - (node.level - 1)]
        prefix = ".".join([*base, node.module] if node.module else base)
    else:
        prefix = node.module or ""
    return [
        ".".join(filter(None, [prefix, alias.name if alias.name != "*" else ""]))
        for alias in node.names
    ]


def check_source(source: str, *, path: str, module: str, is_package: bool = False):
    """The forbidden imports of one module's source."""
    importer = package_of(module)
    if importer is None:
        return [Violation(path, 1, module, "?", "the package has no place in LAYERS")]
    lines = source.splitlines()
    violations = []
    for node in ast.walk(ast.parse(source, filename=path)):
        statement = lines[node.lineno - 1].strip() if hasattr(node, "lineno") else ""
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = _imported_names(node, module, is_package)
            if any(name == "importlib" or name.startswith("importlib.") for name in names):
                violations.append(Violation(path, node.lineno, importer, "importlib", statement))
                continue
            for name in names:
                imported = package_of(name)
                if imported is not None and not allowed(importer, imported):
                    violations.append(Violation(path, node.lineno, importer, imported, statement))
                    break
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "__import__":
                violations.append(Violation(path, node.lineno, importer, "__import__", statement))
        elif isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = ast.unparse(node.type)
            if "ImportError" in caught or "ModuleNotFoundError" in caught:
                violations.append(
                    Violation(path, node.lineno, importer, "except ImportError", f"except {caught}")
                )
    return violations


def check_tree(root: Path) -> list[Violation]:
    violations = []
    for init in sorted(root.glob("*/__init__.py")):
        if init.parent.name in NOT_CHECKED:
            continue
        for path in sorted(init.parent.rglob("*.py")):
            violations += check_source(
                path.read_text(encoding="utf-8"),
                path=str(path.relative_to(root)),
                module=module_name(path, root),
                is_package=path.name == "__init__.py",
            )
    return violations


def test_import_layers_the_apps_import_one_way():
    violations = check_tree(ROOT)

    assert violations == [], "forbidden imports (docs/architecture.md, Layers):\n" + "\n".join(
        map(str, violations)
    )


# ---------------------------------------------------------------- the check can fail


@pytest.mark.parametrize(
    ("module", "source", "edge", "line"),
    [
        # upward, at the top of a module
        (
            "sessions.services",
            "import datetime\nfrom scoring.models import X\n",
            "sessions -> scoring",
            2,
        ),
        # upward, inside a function
        ("meeting.agenda", "def f():\n    from screen import content\n", "meeting -> screen", 2),
        # sideways between siblings
        ("projects.views", "import meeting.models\n", "projects -> meeting", 1),
        # relative, reaching a sibling through the parent package
        ("core.audit", "from .. import sessions\n", "core -> sessions", 1),
        # the pure engine imports nothing of the project
        ("scoring.engine", "from scoring import models\n", "scoring.engine -> scoring", 1),
        # dynamic imports hide a cycle from this very check
        ("meeting.screen", "import importlib\n", "meeting -> importlib", 1),
        ("meeting.screen", "m = __import__('projects.screen')\n", "meeting -> __import__", 1),
        (
            "meeting.screen",
            "try:\n    import x\nexcept ImportError:\n    x = None\n",
            "meeting -> except ImportError",
            3,
        ),
    ],
)
def test_import_layers_check_names_file_line_and_edge(module, source, edge, line):
    (violation,) = check_source(source, path="x.py", module=module)

    assert (f"{violation.importer} -> {violation.imported}", violation.line) == (edge, line)
    assert str(violation).startswith(f"x.py:{line}: {edge} (")


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("scoring.services", "from sessions.models import ReviewSession\n"),
        ("meeting.selectors", "from scoring import engine\n"),
        ("screen.content", "from projects import screen\nfrom meeting.models import Stage\n"),
        ("sessions.views.access", "from ..models import ReviewSession\nfrom core import audit\n"),
        ("huiji_review.urls", "from django.urls import include\nimport scoring.views\n"),
    ],
)
def test_import_layers_check_allows_downward_imports(module, source):
    assert check_source(source, path="x.py", module=module) == []


def test_import_layers_check_fails_on_a_forbidden_file(tmp_path):
    for package in ("sessions", "scoring"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "scoring" / "models.py").write_text("from sessions.models import Unit\n")
    (tmp_path / "sessions" / "models.py").write_text(
        "import datetime\n\n\ndef later():\n    from scoring.models import ResultSnapshot\n"
    )

    assert list(map(str, check_tree(tmp_path))) == [
        "sessions/models.py:5: sessions -> scoring (from scoring.models import ResultSnapshot)"
    ]


def test_import_layers_check_refuses_a_package_without_a_layer(tmp_path):
    (tmp_path / "newapp").mkdir()
    (tmp_path / "newapp" / "__init__.py").write_text("")

    assert [v.imported for v in check_tree(tmp_path)] == ["?"]
