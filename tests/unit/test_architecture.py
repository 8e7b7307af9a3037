"""The layers are a contract a tool holds: import-linter's contracts, and no import cycle.

The contracts live in pyproject.toml (`[tool.importlinter]`) and `make lint` runs them;
they run here too, so `make test` alone cannot pass with a broken layer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def import_cycles(package: str) -> list[list[str]]:
    """Every set of modules of `package` that import each other in a ring (Tarjan's SCCs).

    Stricter than import-linter's sibling check: a package's `__init__` importing a module
    that imports the package back is a cycle here too.
    """
    graph = grimp.build_graph(package, cache_dir=None)
    inside = sorted(m for m in graph.modules if m == package or m.startswith(f"{package}."))
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in inside:
                continue
            if imported not in index:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in on_stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            ring = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                ring.append(member)
                if member == module:
                    break
            if len(ring) > 1:
                cycles.append(sorted(ring))

    for module in inside:
        if module not in index:
            visit(module)
    return cycles


def test_the_import_linter_contracts_hold():
    # A process of its own: import-linter sets up logging and a console of its own.
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_of_webapp_is_in_an_import_cycle(monkeypatch):
    monkeypatch.syspath_prepend(str(PROJECT_ROOT))
    assert import_cycles("webapp") == []


def test_the_cycle_finder_finds_a_cycle(tmp_path, monkeypatch):
    package = tmp_path / "ringed"
    package.mkdir()
    (package / "__init__.py").write_text("from ringed import a\n")
    (package / "a.py").write_text("from ringed import b\n")
    (package / "b.py").write_text("import ringed.c\n")
    (package / "c.py").write_text("from ringed.a import name\nname = 1\n")
    (package / "d.py").write_text("import ringed.c\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("ringed") == [["ringed.a", "ringed.b", "ringed.c"]]
    sys.modules.pop("ringed", None)


CORE_MODULES = sorted(
    f"webapp.core.{p.stem}" for p in (PROJECT_ROOT / "webapp" / "core").glob("[!_]*.py")
)


@pytest.mark.parametrize("module", CORE_MODULES)
def test_the_domain_modules_import_nothing_of_flask(module, monkeypatch):
    monkeypatch.syspath_prepend(str(PROJECT_ROOT))
    graph = grimp.build_graph("webapp", cache_dir=None, include_external_packages=True)
    imported = graph.find_modules_directly_imported_by(module)
    assert not {m for m in imported if m.split(".")[0] in {"flask", "werkzeug", "sqlalchemy"}}
