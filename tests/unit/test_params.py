"""Request params of a wrong type get -32602 naming the field, never a coerced value."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pygls.lsp.server import LanguageServer

from sourcepacker.daemon import protocol as p


class Capture:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.sent.append(json.loads(data.split(b"\r\n\r\n", 1)[1]))

    def close(self) -> None:
        pass


@pytest.fixture
def proto() -> Any:
    server = LanguageServer(
        "t", "0", protocol_cls=p.SourcePackerProtocol, converter_factory=p.make_converter
    )
    server.protocol.set_writer(Capture())
    return server.protocol


def structure(proto: Any, method: str, params: Any) -> Any:
    """The typed params, or the error message the client was sent."""
    message = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not ...:
        message["params"] = params
    try:
        return proto.structure_message(message).params
    except Exception:
        reply = proto.writer.sent[-1]
        assert reply["id"] == 1 and reply["error"]["code"] == -32602
        return reply["error"]["message"]


def test_a_string_field(proto: Any) -> None:
    got = structure(proto, p.Methods.LIST_FILES, {"rootUri": "file:///w", "dir": 12345})
    assert got == "invalid params for sourcepacker/listFiles: dir: expected a string, got 12345"


def test_an_optional_string_field(proto: Any) -> None:
    got = structure(proto, p.Methods.PACK, {"rootUri": "file:///w", "format": 7})
    assert got == "invalid params for sourcepacker/pack: format: expected a string, got 7"
    got = structure(proto, p.Methods.STATS, {"rootUri": 5})
    assert got == "invalid params for sourcepacker/stats: rootUri: expected a string, got 5"


def test_a_bool_field(proto: Any) -> None:
    got = structure(proto, p.Methods.SCAN, {"rootUri": "file:///w", "force": 1})
    assert got == "invalid params for sourcepacker/scan: force: expected true or false, got 1"


def test_a_list_field(proto: Any) -> None:
    got = structure(proto, p.Methods.SET_CHECKED, {"rootUri": "u", "paths": "abc", "checked": True})
    assert got == "invalid params for sourcepacker/setChecked: paths: expected a list, got 'abc'"


def test_a_list_item(proto: Any) -> None:
    got = structure(proto, p.Methods.PACK, {"rootUri": "u", "paths": ["a", 3]})
    assert got == "invalid params for sourcepacker/pack: paths[1]: expected a string, got 3"


def test_every_problem_is_named(proto: Any) -> None:
    got = structure(proto, p.Methods.SET_CHECKED, {"paths": ["a"], "checked": "yes"})
    assert got == (
        "invalid params for sourcepacker/setChecked: rootUri: required; "
        "checked: expected true or false, got 'yes'"
    )


def test_params_that_are_not_an_object(proto: Any) -> None:
    got = structure(proto, p.Methods.PROFILES_SAVE, ["u", "name"])
    assert (
        got
        == "invalid params for sourcepacker/profiles/save: expected an object, got ['u', 'name']"
    )


def test_the_int_hook_refuses_bools_and_strings() -> None:
    strict = p.make_strict_converter()
    assert strict.structure(3, int) == 3
    for bad in (True, "3", 3.0):
        with pytest.raises(TypeError, match="expected an integer"):
            strict.structure(bad, int)


def test_valid_params_unknown_fields_and_omitted_params(proto: Any) -> None:
    got = structure(proto, p.Methods.PACK, {"rootUri": "u", "paths": ["a"], "future": {"x": 1}})
    assert got == p.PackParams("u", paths=["a"])
    assert structure(proto, p.Methods.STATS, ...) == p.StatsParams()
    assert structure(proto, p.Methods.STATS, None) == p.StatsParams()
    got = structure(proto, p.Methods.LIST_FILES, ...)
    assert got == "invalid params for sourcepacker/listFiles: rootUri: required"


def test_a_nested_method_key_of_any_type_is_left_alone(proto: Any) -> None:
    # structure_message sees every JSON object (it is json's object_hook), not only messages.
    assert proto.structure_message({"method": ["not", "hashable"]}) == {
        "method": ["not", "hashable"]
    }


def test_a_method_that_is_not_a_string_is_an_invalid_request(proto: Any) -> None:
    with pytest.raises(Exception, match="method is not a string"):
        proto.structure_message({"jsonrpc": "2.0", "id": 4, "method": ["x"]})
    assert proto.writer.sent[-1]["error"] == {"code": -32600, "message": "method is not a string"}


def test_an_unknown_method_may_omit_its_params(proto: Any) -> None:
    # pygls would fail to read it (-32603); read with params None it gets -32601 when handled.
    message = proto.structure_message({"jsonrpc": "2.0", "id": 4, "method": "nope"})
    assert message.method == "nope" and message.params is None
