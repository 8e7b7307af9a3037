"""The README says what the code does: every setting the app reads is in its configuration
table, every operator command in its command table, and its layer diagram is the layers
contract that lint-imports holds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from webapp.infra import settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README's text under a `## title` heading, up to the next one of its level."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_every_command_the_cli_offers_is_in_the_readmes_command_table(app):
    listed = set(re.findall(r"^\| `flask ([a-z-]+)", section("Command line"), re.MULTILINE))
    offered = set(app.cli.list_commands(app.app_context()))
    assert offered <= listed, f"missing from the README's command table: {offered - listed}"
    assert listed <= offered, f"listed but not a command: {listed - offered}"


def test_the_readmes_layer_diagram_is_the_layers_contract():
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = settings["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    diagram = re.findall(r"^(webapp\.[a-z]+(?: \| webapp\.[a-z]+)*)\s", README, re.MULTILINE)
    assert diagram == layers


def test_every_setting_the_app_reads_is_in_the_readmes_configuration_table():
    classes = (settings.Config, settings.ProductionConfig, settings.TestingConfig)
    fields = set().union(*(c.model_fields for c in classes))
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", section("Configuration")))
    assert fields <= listed, f"missing from the README's configuration: {fields - listed}"
