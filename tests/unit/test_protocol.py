"""The Python protocol module and the extension's TypeScript mirror name the same things."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from sourcepacker.daemon import protocol

TS = Path(__file__).parents[2] / "clients" / "vscode" / "src" / "protocol.ts"
#: Python class name → TypeScript interface name, where they differ.
RENAMED = {"ProfileList": "ProfilesListResult", "FileTokens": "FileTokensItem", "RootParams": None}


def ts_interfaces() -> dict[str, dict[str, bool]]:
    """Interface name → {field: optional (declared with `?`)}."""
    source = TS.read_text()
    out = {}
    for match in re.finditer(r"export interface (\w+) \{(.*?)\n\}", source, re.S):
        fields = re.findall(r"^\s+(\w+)(\??):", match.group(2), re.M)
        out[match.group(1)] = {name: mark == "?" for name, mark in fields}
    return out


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_method_names_agree() -> None:
    ts_methods = set(re.findall(r'"(sourcepacker/[\w/]+)"', TS.read_text()))
    assert ts_methods == protocol.all_method_names()


PAYLOADS = [
    cls
    for cls in vars(protocol).values()
    if isinstance(cls, type) and attrs.has(cls) and cls.__module__ == protocol.__name__
]


@pytest.mark.parametrize("cls", PAYLOADS, ids=lambda c: c.__name__)
def test_payload_fields_agree(cls: type) -> None:
    name = RENAMED.get(cls.__name__, cls.__name__)
    if name is None:
        pytest.skip("shared params shape, inlined in TypeScript")
    interfaces = ts_interfaces()
    assert name in interfaces, f"{name} has no TypeScript interface in {TS.name}"
    # the converter omits a field only when it equals its default: no default = always sent
    expected = {camel(a.name): a.default is not attrs.NOTHING for a in attrs.fields(cls)}
    assert interfaces[name] == expected
