"""One write path: only `services/unit_of_work.py` begins, commits or rolls back a transaction.

Everything else writes through `transaction(work)`, which retries a deadlock or a busy
SQLite file; a bare commit elsewhere would be a write that a conflict turns into a 503.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
UNIT_OF_WORK = WEBAPP / "services" / "unit_of_work.py"
MODULES = sorted(p for p in WEBAPP.rglob("*.py") if p != UNIT_OF_WORK)

TRANSACTION_CONTROL = {"commit", "_commit", "rollback", "begin"}
WRITE_UNIT_OF_WORK = "_WriteUnitOfWork"


def relative(path: Path) -> str:
    return str(path.relative_to(WEBAPP.parent))


def name_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.alias):
        return node.name
    return None


def offences(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        where = f"{relative(path)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            called = name_of(node.func)
            if isinstance(node.func, ast.Attribute) and called in TRANSACTION_CONTROL:
                found.append(f"{where} calls .{called}()")
            if called == "UnitOfWork":
                found.extend(f"{where} passes {k.arg}= to UnitOfWork" for k in node.keywords)
        if name_of(node) == WRITE_UNIT_OF_WORK:
            found.append(f"{where} names {WRITE_UNIT_OF_WORK}")
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "session"
            and isinstance(node.value, ast.Name)
            and node.value.id == "db"
        ):
            found.append(f"{where} uses db.session")
    return found


def test_the_modules_are_found():
    assert len(MODULES) > 30
    assert WEBAPP / "services" / "users" / "registration.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_no_module_but_the_unit_of_work_controls_a_transaction(path):
    assert offences(path) == []


def test_the_unit_of_work_itself_is_what_the_check_would_catch():
    """The check is not vacuous: the one module allowed to commit trips every rule."""
    caught = "\n".join(offences(UNIT_OF_WORK))
    assert ".commit()" in caught and ".rollback()" in caught
    assert "db.session" in caught and WRITE_UNIT_OF_WORK in caught
