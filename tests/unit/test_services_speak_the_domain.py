"""Services ask repositories by name; only repositories write SQL.

A service that builds a filter (`Order.user_id == ...`) or hands `where=` to a repository
has a query in the wrong layer: the repository then cannot own its indexes and counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "webapp" / "services"
# The unit of work wires sessions and transactions: that is its whole job.
# rglob: a feature that grew into a package (services/users/, …) is read too.
MODULES = sorted(p for p in SERVICES.rglob("*.py") if p.name != "unit_of_work.py")
QUERY_KEYWORDS = {"where", "order_by", "options", "order"}


def model_classes(tree: ast.Module) -> set[str]:
    """Names this module imports from `webapp.models` that are classes (CamelCase)."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("webapp.models")
        for alias in node.names
        if alias.name[:1].isupper() and not alias.name.isupper()
    }


def offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    models = model_classes(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom | ast.Import):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            modules += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for module in modules:
                if module.split(".")[0] == "sqlalchemy" and module != "sqlalchemy.exc":
                    found.append(f"{where} imports {module}")
        if isinstance(node, ast.Call):
            found.extend(
                f"{where} passes {k.arg}=" for k in node.keywords if k.arg in QUERY_KEYWORDS
            )
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in models
        ):
            found.append(f"{where} uses the column {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_a_service_builds_no_query(path):
    assert offences(path) == []


def test_the_check_catches_a_filter_built_in_a_service(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from sqlalchemy import select\n"
        "from webapp.models import Order\n"
        "def page(uow, user_id):\n"
        "    return uow.orders.find_page(where=[Order.user_id == user_id])\n"
    )
    assert len(offences(sample)) == 3
