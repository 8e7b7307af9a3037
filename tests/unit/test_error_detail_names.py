"""Error details are named once, in Python: services and the domain core say `to_account_id`,
and the API's edge writes every name in camelCase (`toAccountId`) on the way out.

The scan reads each name a service can give a detail — a key of a `details={...}` literal,
a key stored into the dict handed to `details=`, and a value a name used as such a key
takes (`field = f"items.{index}.product_id"`, `field="new_password"`, a default) — and
refuses one written in camelCase.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from webapp.core.errors import ValidationError
from webapp.edge.errors import handle_app_error, wire_name

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
MODULES = sorted([*(WEBAPP / "services").rglob("*.py"), *(WEBAPP / "core").rglob("*.py")])
CAMEL_SEGMENT = re.compile(r"[a-z][a-z0-9]*[A-Z]")


def literal(node: ast.AST | None) -> str | None:
    """A string or f-string as written, each replacement field read as "{}"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(literal(part) or "{}" for part in node.values)
    return None


def names_given(tree: ast.Module) -> tuple[set[str], set[str]]:
    """The detail names written literally, and the variables a detail's name is read from."""
    written: set[str] = set()
    variables: set[str] = set()
    handed: set[str] = set()  # dicts handed over whole: details=problems
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg != "details":
                continue
            if isinstance(keyword.value, ast.Dict):
                keys = [key for key in keyword.value.keys if key is not None]
                for candidate in (node for key in keys for node in ast.walk(key)):
                    if (text := literal(candidate)) is not None:
                        written.add(text)
                    elif isinstance(candidate, ast.Name):
                        variables.add(candidate.id)
            elif isinstance(keyword.value, ast.Name):
                handed.add(keyword.value.id)
    stored = (
        literal(node.slice)
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name)
        and node.value.id in handed
    )
    return written | {text for text in stored if text is not None}, variables


def values_of(tree: ast.Module, variables: set[str]) -> set[str]:
    """The strings those variables take: assigned, passed by keyword, or by default."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = {t.id for t in node.targets if isinstance(t, ast.Name)}
            if targets & variables:
                found.update(filter(None, (literal(n) for n in ast.walk(node.value))))
        elif isinstance(node, ast.keyword) and node.arg in variables:
            found.update(filter(None, (literal(n) for n in ast.walk(node.value))))
        elif isinstance(node, ast.arguments):
            positional = [*node.posonlyargs, *node.args][
                len(node.posonlyargs) + len(node.args) - len(node.defaults) :
            ]
            defaults = zip(
                [*positional, *node.kwonlyargs], [*node.defaults, *node.kw_defaults], strict=True
            )
            found.update(
                text
                for param, default in defaults
                if param.arg in variables and (text := literal(default)) is not None
            )
    return found


def camel_case_names(paths: list[Path]) -> list[str]:
    trees = {path: ast.parse(path.read_text(), filename=str(path)) for path in paths}
    given = {path: names_given(tree) for path, tree in trees.items()}
    variables = set().union(*(found[1] for found in given.values()))
    offences: list[str] = []
    for path, tree in trees.items():
        # A variable's value may be passed from another module (check_password_rules(field=…)).
        for name in sorted(given[path][0] | values_of(tree, variables)):
            if any(CAMEL_SEGMENT.match(segment) for segment in name.split(".")):
                offences.append(f"{path.name}: {name}")
    return offences


def test_services_and_the_core_name_every_detail_in_python():
    assert camel_case_names(MODULES) == []


def test_the_scan_finds_camel_case_however_the_name_is_given(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def check(value, field='newPassword'):\n"
        "    raise ValidationError(details={field: 'bad'})\n"
        "def place(index):\n"
        "    problems = {}\n"
        "    problems[f'items.{index}.productId'] = 'twice'\n"
        "    raise ValidationError(details=problems)\n"
        "def transfer():\n"
        "    check(1, field='toAccountId')\n"
        "    raise NotFound(details={'fromAccountId': 'not found', 'amount': 'too big'})\n"
    )
    found = {offence.rpartition(": ")[2] for offence in camel_case_names([sample])}
    assert found == {"newPassword", "items.{}.productId", "toAccountId", "fromAccountId"}


@pytest.mark.parametrize(
    ("name", "on_the_wire"),
    [
        ("to_account_id", "toAccountId"),
        ("items.0.product_id", "items.0.productId"),
        ("amount", "amount"),
        # A schema's error names the field by its alias: already the wire's name.
        ("items.0.productId", "items.0.productId"),
        ("body", "body"),
    ],
)
def test_a_detail_name_is_written_in_camel_case_once(name, on_the_wire):
    assert wire_name(name) == on_the_wire


def test_the_api_edge_renders_a_services_details_in_camel_case(app):
    error = ValidationError(
        details={"to_account_id": "must differ", "items.0.product_id": "not found"}
    )
    with app.test_request_context("/api/v1/transfers", method="POST"):
        response = handle_app_error(error)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {
        "toAccountId": "must differ",
        "items.0.productId": "not found",
    }
