"""Settings are declared once, in Python: the extension's mirror and manifest must agree."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from sourcepacker.settings import WIRE_NAMES, Settings

EXTENSION = Path(__file__).parents[2] / "clients" / "vscode"
#: Settings only the extension reads (how to start the daemon, what the view shows).
CLIENT_ONLY = {"server.interpreter", "trace.server", "showSkipped"}


def manifest_settings() -> dict[str, dict[str, object]]:
    manifest = json.loads((EXTENSION / "package.json").read_text())
    props = manifest["contributes"]["configuration"]["properties"]
    return {key.removeprefix("sourcepacker."): value for key, value in props.items()}


def wire_interface() -> set[str]:
    source = (EXTENSION / "src" / "protocol.ts").read_text()
    body = re.search(r"export interface WireSettings \{(.*?)\n\}", source, re.S)
    assert body, "WireSettings interface not found in protocol.ts"
    return set(re.findall(r"^\s+(\w+)\??:", body.group(1), re.M))


def test_manifest_declares_exactly_the_daemon_settings_plus_client_ones() -> None:
    assert set(manifest_settings()) == set(WIRE_NAMES) | CLIENT_ONLY


def test_wire_settings_interface_names_every_daemon_setting() -> None:
    assert wire_interface() == set(WIRE_NAMES)


def test_manifest_defaults_match_python_defaults() -> None:
    defaults = Settings()
    declared = manifest_settings()
    for f in dataclasses.fields(Settings):
        wire = f.metadata["wire"]
        value = getattr(defaults, f.name)
        shown = declared[wire].get("default")
        if f.name in ("pool_kind", "pool_size", "cache_dir", "counter"):
            assert shown in (None, ""), f"{wire}: the extension leaves it to the daemon"
        elif isinstance(value, tuple):
            assert shown == list(value), wire
        else:
            assert shown == value, wire


def test_manifest_enums_match_python_choices() -> None:
    from sourcepacker.backends import COUNTER_CHOICES
    from sourcepacker.settings import POOL_KINDS, SETTING_FORMATS

    declared = manifest_settings()
    assert declared["format"]["enum"] == list(SETTING_FORMATS)
    assert [v for v in declared["poolKind"]["enum"] if v is not None] == list(POOL_KINDS)
    assert [v for v in declared["counter"]["enum"] if v is not None] == list(COUNTER_CHOICES)
