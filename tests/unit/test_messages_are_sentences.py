"""Every message a person reads is a full sentence, in one voice: a capital first letter (or a
quoted word or a figure) and a full stop, on a page, in a flash or in the API's envelope.

The walk reaches what it can cheaply: the messages of the error classes and of the error
pages; in the source, each string written where a message goes (an error's message, a
`details={...}` value, a `problems[...]` entry, a flash, a form error, a validator's
`message=`, a pydantic error), the constants named there included; the rules' own wording
(names, passwords, amounts); every form's errors for input it refuses; and the API's
translation of pydantic's messages for every request schema.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict
from wtforms import SelectFieldBase
from wtforms.validators import InputRequired

from tests.unit.test_error_detail_names import literal
from webapp.api.operations import field_errors
from webapp.api.schemas.bases import QuerySchema, RequestSchema
from webapp.core import errors as core_errors
from webapp.core.errors import AppError
from webapp.core.money import amount_out_of_range, to_minor_units
from webapp.edge.errors import HTTP_ERROR_CODES, PAGE_MESSAGES
from webapp.services.users.rules import name_problem, password_problem
from webapp.web import forms

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
# Where the source writes text a person reads: services, the domain core, pages and the API.
SOURCES = sorted(
    path
    for package in ("core", "services", "web", "api", "edge")
    for path in (WEBAPP / package).rglob("*.py")
)
# A capital letter, a figure or a quoted word first; a full stop (or ! or ?) last.
SENTENCE = re.compile(r"[A-Z0-9'\"\u201c\u2018].*[.!?]", re.DOTALL)
ERROR_CLASSES = {
    name
    for name, value in vars(core_errors).items()
    if isinstance(value, type) and issubclass(value, AppError)
}
# Calls whose first argument is a message a person reads.
MESSAGE_CALLS = ERROR_CLASSES | {"flash", "add_error", "InvalidEmail", "append"}


def is_sentence(text: str) -> bool:
    return SENTENCE.fullmatch(text.strip()) is not None


def test_a_lowercase_fragment_is_not_a_sentence():
    assert not is_sentence("is too common; choose another")
    assert not is_sentence('is not an amount: type digits with at most one "."')
    assert not is_sentence("Field required")
    assert is_sentence("This password is too common. Choose another.")
    assert is_sentence("'owner' is not a valid choice for this field.")


# --- what the source writes ----------------------------------------------------------------


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def functions_of(tree: ast.Module) -> dict[ast.AST, str]:
    """The name of the (innermost) function each node is written in."""
    return {
        node: function.name
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for node in ast.walk(function)
    }


def message_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Each expression written where a message goes."""
    enclosing_functions = functions_of(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = called_name(node)
            if name in MESSAGE_CALLS and node.args:
                # add_error(field, message); form.form_errors.append(message); the rest first.
                index = 1 if name == "add_error" else 0
                if name != "append" or "errors" in ast.unparse(node.func):
                    yield node.args[min(index, len(node.args) - 1)]
            if name == "PydanticCustomError" and len(node.args) > 1:
                yield node.args[1]
            for keyword in node.keywords:
                if keyword.arg == "message":
                    yield keyword.value
                if keyword.arg == "details" and isinstance(keyword.value, ast.Dict):
                    yield from keyword.value.values
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and target.value.id in {"problems", "details"}
            for target in node.targets
        ):
            yield node.value
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.JoinedStr | ast.Constant):
            function = enclosing_functions.get(node, "")
            if function.endswith(("_problem", "_refused", "_out_of_range")):
                yield node.value


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(WEBAPP.parent).with_suffix("").parts)


def written_problems(path: Path) -> Iterator[str]:
    """Where a message written in this file is not a sentence: "file:line: text"."""
    tree = ast.parse(path.read_text(), filename=str(path))
    module: Any = None
    for node in message_nodes(tree):
        where = f"{path.relative_to(WEBAPP.parent)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Name) and node.id.isupper():
            module = module or importlib.import_module(module_name(path))
            value = getattr(module, node.id, None)
            if isinstance(value, str) and not is_sentence(value):
                yield f"{where}: {node.id} = {value!r}"
            continue
        text = literal(node)
        if text is None:
            continue  # a variable or a call: its words are checked where they are written
        # A replacement field at either end may be a sentence of its own (a service's
        # message shown as it is); what is written around it must still read as one.
        starts = text.startswith("{}") or is_sentence(text[:1] + ".")
        ends = text.endswith("{}") or text.rstrip().endswith((".", "!", "?"))
        if not (starts and ends):
            yield f"{where}: {text!r}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(WEBAPP)))
def test_every_message_written_in_the_source_is_a_sentence(path):
    assert list(written_problems(path)) == []


def test_the_walk_finds_a_fragment_written_where_a_message_goes(tmp_path):
    fragment = tmp_path / "fragment.py"
    fragment.write_text(
        "raise ValidationError(details={'password': 'is too common; choose another'})\n"
        "flash(f'{n} left', 'error')\n"
    )
    tree = ast.parse(fragment.read_text())
    texts = [literal(node) for node in message_nodes(tree)]
    assert texts == ["is too common; choose another", "{} left"]
    assert not any(is_sentence(text) for text in texts if text)


# --- what the code says when it runs -------------------------------------------------------


def all_subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def test_every_error_class_and_error_page_speaks_in_sentences():
    messages = {cls.__name__: cls.message for cls in [AppError, *all_subclasses(AppError)]}
    messages |= {f"HTTP {status}": text for status, (_, text) in HTTP_ERROR_CODES.items()}
    messages |= {f"page {status}": text for status, text in PAGE_MESSAGES.items()}
    assert {name: text for name, text in messages.items() if not is_sentence(text)} == {}


def test_the_rules_word_their_refusals_as_sentences():
    said = [name_problem(""), password_problem("short"), password_problem("password")]
    said.append(amount_out_of_range("USD"))
    for typed in ("abc", "1.234", "9" * 20, ""):
        with pytest.raises(ValueError) as refused:
            to_minor_units(typed, "USD")
        said.append(str(refused.value))
    assert [text for text in said if not is_sentence(text or "")] == []


FORMS = sorted(
    (
        value
        for value in vars(forms).values()
        if isinstance(value, type) and issubclass(value, forms.FlaskForm)
    ),
    key=lambda form: form.__name__,
)
# Input every form refuses, one way or another, field by field.
REFUSED_INPUT = [{}, {"*": "not a number"}, {"*": "x" * 300}, {"*": "0"}, {"*": "-1"}]


@pytest.mark.parametrize("form_class", FORMS, ids=lambda form: form.__name__)
@pytest.mark.parametrize("sent", REFUSED_INPUT, ids=lambda sent: repr(sent)[:20])
def test_every_form_refuses_in_sentences(app: Flask, form_class, sent):
    with app.test_request_context(method="POST"):
        names = [field.name for field in form_class(formdata=None)]
        data = MultiDict({name: sent["*"] for name in names} if sent else {})
        form = form_class(formdata=data)
        for field in form:
            if isinstance(field, SelectFieldBase) and field.choices is None:
                field.choices = []  # a route sets these choices; none is valid here
        form.validate()
        said = [error for errors in form.errors.values() for error in errors]
        messages = [
            validator.message
            for field in form
            for validator in field.validators
            if getattr(validator, "message", None) and not isinstance(validator, InputRequired)
        ]
    assert [text for text in [*said, *messages] if not is_sentence(str(text))] == []


SCHEMAS = sorted(
    {*all_subclasses(RequestSchema), *all_subclasses(QuerySchema)} - {RequestSchema, QuerySchema},
    key=lambda schema: schema.__name__,
)
WRONG_VALUES = [None, [[]], "", -1, 10**30, "x" * 10_000, {"a": 1}]


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: schema.__name__)
def test_the_api_words_every_schema_refusal_as_a_sentence(schema):
    fields = [info.alias or name for name, info in schema.model_fields.items()]
    bodies: list[Any] = [{}, [], {"unexpectedField": 1}]
    bodies += [{name: value for name in fields} for value in WRONG_VALUES]
    said: dict[str, str] = {}
    for body in bodies:
        try:
            schema.model_validate(body)
        except pydantic.ValidationError as error:
            said |= {f"{body!r:.40} {name}": text for name, text in field_errors(error).items()}
    assert said, "no body was refused"
    assert {where: text for where, text in said.items() if not is_sentence(text)} == {}
