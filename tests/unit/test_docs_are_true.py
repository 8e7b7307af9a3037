"""The docs say what the code does: every setting the app reads is in the configuration
table, every operator command in the command table, every make target in the lists of them, the
README's layer diagram is the layers contract that lint-imports holds, and every relative
link points to a file that exists."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from webapp.infra import engine_options, settings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
# Where the code reads a variable by its literal name (os.environ, gunicorn.conf.py, TALLY_ENV).
READERS = [*sorted((ROOT / "webapp").rglob("*.py")), ROOT / "gunicorn.conf.py"]
LITERAL_READ = re.compile(
    r"""(?:os\.environ|\benv)(?:\.get\(|\[)"([A-Z][A-Z0-9_]+)"|"([A-Z][A-Z0-9_]+)" in os\.environ"""
)
# flask-limiter's own settings are passed through by prefix (settings.ratelimit_passthrough).
PASSED_THROUGH = "RATELIMIT_"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def section(path: Path, title: str) -> str:
    """A document's text under a `## title` heading, up to the next one of its level."""
    text = read(path)
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def first_column(text: str) -> str:
    """The first cell of every table row, header and rule rows included."""
    return "\n".join(line.split("|")[1] for line in text.splitlines() if line.startswith("|"))


def settings_the_code_reads() -> set[str]:
    classes = (
        settings.Config,
        settings.ProductionConfig,
        settings.TestingConfig,
        engine_options.DatabasePool,
    )
    fields = set().union(*(c.model_fields for c in classes))
    literal = {a or b for path in READERS for a, b in LITERAL_READ.findall(read(path))}
    return fields | literal


def test_every_command_the_cli_offers_is_in_the_command_table(app):
    table = section(ROOT / "docs" / "operations.md", "Command line")
    listed = set(re.findall(r"^\| `flask ([a-z-]+)", table, re.MULTILINE))
    offered = set(app.cli.list_commands(app.app_context()))
    assert offered <= listed, f"missing from docs/operations.md's command table: {offered - listed}"
    assert listed <= offered, f"listed but not a command: {listed - offered}"


@pytest.mark.parametrize(
    ("doc", "title", "pattern"),
    [
        (README, "The two commands", r"^(?:- `)?make ([a-z0-9-]+)"),
        (ROOT / "docs" / "operations.md", "Make targets", r"^\| `make ([a-z0-9-]+)"),
    ],
    ids=["README", "operations"],
)
def test_every_make_target_is_listed(doc, title, pattern):
    (phony,) = re.findall(r"^\.PHONY:(.*)$", read(ROOT / "Makefile"), re.MULTILINE)
    targets = set(phony.split())
    listed = set(re.findall(pattern, section(doc, title), re.MULTILINE))
    assert targets <= listed, f"missing from {doc.name}'s make targets: {targets - listed}"
    assert listed <= targets, f"listed but not a make target: {listed - targets}"


def test_the_readmes_layer_diagram_is_the_layers_contract():
    pyproject = tomllib.loads(read(ROOT / "pyproject.toml"))
    contracts = pyproject["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    diagram = re.findall(r"^(webapp\.[a-z]+(?: \| webapp\.[a-z]+)*)\s", read(README), re.MULTILINE)
    assert diagram == layers


def test_every_setting_the_app_reads_is_in_the_configuration_table():
    table = first_column(section(ROOT / "docs" / "configuration.md", "Settings"))
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    read_ = settings_the_code_reads()
    assert read_ <= listed, f"missing from docs/configuration.md: {read_ - listed}"
    unknown = {name for name in listed - read_ if not name.startswith(PASSED_THROUGH)}
    assert not unknown, f"listed but not read by the code: {unknown}"


def test_the_settings_scan_finds_what_is_read_outside_the_settings_classes():
    assert {"TALLY_ENV", "DEMO_PASSWORD", "BIND", "WEB_CONCURRENCY", "DB_POOL_SIZE"} <= (
        settings_the_code_reads()
    )


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file_that_exists(doc):
    targets = [t for t in LINK.findall(read(doc)) if not re.match(r"[a-z]+:", t)]
    missing = [t for t in targets if not (doc.parent / t.split("#")[0]).exists()]
    assert not missing, f"{doc.name} links to files that do not exist: {missing}"


def heading_anchors(path: Path) -> set[str]:
    """GitHub's anchors for a Markdown file's headings: lowercased, punctuation dropped."""
    titles = re.findall(r"^#+ (.+)$", read(path), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-") for title in titles}


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_links_anchor_is_a_heading_of_its_file(doc):
    links = [t for t in LINK.findall(read(doc)) if "#" in t and not re.match(r"[a-z]+:", t)]
    for link in links:
        target, anchor = link.split("#", 1)
        path = doc.parent / target if target else doc
        assert anchor in heading_anchors(path), f"{doc.name}: no heading for {link}"
