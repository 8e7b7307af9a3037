"""One meaning per fixture name: a test module never defines a fixture under a name the
shared conftest already gives a meaning (`member`, `admin`, `login`, …), so a name read in
one test means the same thing in every other."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def fixture_names(path: Path) -> set[str]:
    """The fixtures a module defines, by the name tests request them by."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if "fixture" not in ast.unparse(decorator):
                continue
            names.add(node.name)
            for keyword in getattr(decorator, "keywords", []):
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    names.discard(node.name)
                    names.add(keyword.value.value)
    return names


def test_the_shared_fixtures_are_found():
    assert {"app", "client", "member", "admin", "login", "register"} <= fixture_names(
        TESTS / "conftest.py"
    )


def test_no_test_module_gives_a_shared_fixture_name_a_second_meaning():
    shared = fixture_names(TESTS / "conftest.py")
    shadowed = {
        str(path.relative_to(TESTS)): sorted(fixture_names(path) & shared)
        for path in TESTS.rglob("test_*.py")
        if fixture_names(path) & shared
    }
    assert shadowed == {}


def test_a_local_fixture_named_member_is_found(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "import pytest\n\n@pytest.fixture\ndef member():\n    return 1\n\n"
        "@pytest.fixture(name='admin')\ndef admin_fixture():\n    return 2\n",
        encoding="utf-8",
    )
    assert fixture_names(sample) == {"member", "admin"}
