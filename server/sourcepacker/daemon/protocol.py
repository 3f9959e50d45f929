"""The wire contract: method names and payload types of the ``sourcepacker/…`` protocol.

Mirrored for the extension by ``clients/vscode/src/protocol.ts``; ``tests/unit/test_protocol.py``
checks that both name the same methods. pygls converts these attrs classes with lsprotocol's
converter: fields become camelCase, and a field equal to its default is omitted, so every
field with a default is optional on the TypeScript side.
"""

from __future__ import annotations

from typing import Any

import attrs
from lsprotocol.types import ResponseError
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol


class Methods:
    LIST_FILES = "sourcepacker/listFiles"
    SET_CHECKED = "sourcepacker/setChecked"
    PACK = "sourcepacker/pack"
    SCAN = "sourcepacker/scan"
    PROFILES_LIST = "sourcepacker/profiles/list"
    PROFILES_SAVE = "sourcepacker/profiles/save"
    PROFILES_LOAD = "sourcepacker/profiles/load"
    PROFILES_DELETE = "sourcepacker/profiles/delete"
    STATS = "sourcepacker/stats"


class Notifications:
    FILE_TOKENS = "sourcepacker/fileTokens"
    TOTALS = "sourcepacker/totals"
    TREE_CHANGED = "sourcepacker/treeChanged"


# --- requests ---------------------------------------------------------------------------------


@attrs.define
class RootParams:
    root_uri: str


@attrs.define
class ListFilesParams:
    root_uri: str
    #: Folder to list, relative POSIX path; "" (default) is the workspace folder itself.
    dir: str = ""
    #: Also list binary, too-large, ... files with their skip reason.
    include_skipped: bool = False


@attrs.define
class SetCheckedParams:
    root_uri: str
    paths: list[str]
    checked: bool


@attrs.define
class PackParams:
    root_uri: str
    format: str | None = None
    #: Files/folders to pack; the current selection when omitted.
    paths: list[str] | None = None
    tree: bool = False


@attrs.define
class ScanParams:
    root_uri: str
    #: Re-read every file even when its (size, mtime, inode) is unchanged.
    force: bool = False


@attrs.define
class ProfileParams:
    root_uri: str
    name: str


@attrs.define
class StatsParams:
    root_uri: str | None = None


@attrs.define
class Entry:
    name: str
    path: str
    kind: str  # "file" | "dir"
    size: int
    tokens: int
    state: str  # exact | estimated | stale | skipped
    checked: str  # checked | unchecked | partial
    file_count: int = 0
    skip_reason: str | None = None
    is_new: bool = False


@attrs.define
class ListFilesResult:
    entries: list[Entry]


@attrs.define
class TokenSum:
    tokens: int
    exact: int
    estimated: int
    files: int
    pending_files: int


@attrs.define
class Totals:
    root_uri: str
    selected: TokenSum
    workspace: TokenSum
    encoding: str


@attrs.define
class SkippedFile:
    path: str
    reason: str


@attrs.define
class PackResult:
    text: str
    tokens: int
    file_count: int
    skipped: list[SkippedFile]


@attrs.define
class ScanResult:
    files: int
    tokenized: int
    cache_hits: int
    skipped: int
    read: int
    cancelled: bool


@attrs.define
class ProfileInfo:
    name: str
    paths: int
    saved_at: str


@attrs.define
class ProfileList:
    profiles: list[ProfileInfo]


@attrs.define
class ProfileLoadResult:
    totals: Totals
    new_files: list[str]


@attrs.define
class Stats:
    files: int
    tokenized: int
    cache_hits: int
    hashed: int
    skipped: dict[str, int]
    stage_seconds: dict[str, float]
    queue_depth: int
    last_batch_seconds: float
    scans: int
    last_scan_tokenized: int
    last_scan_read: int
    scanning: bool


# --- notifications ----------------------------------------------------------------------------


@attrs.define
class FileTokens:
    path: str
    tokens: int
    state: str


@attrs.define
class FileTokensParams:
    root_uri: str
    files: list[FileTokens]


@attrs.define
class TreeChangedParams:
    root_uri: str
    dirs: list[str]


PARAMS: dict[str, type[Any]] = {
    Methods.LIST_FILES: ListFilesParams,
    Methods.SET_CHECKED: SetCheckedParams,
    Methods.PACK: PackParams,
    Methods.SCAN: ScanParams,
    Methods.PROFILES_LIST: RootParams,
    Methods.PROFILES_SAVE: ProfileParams,
    Methods.PROFILES_LOAD: ProfileParams,
    Methods.PROFILES_DELETE: ProfileParams,
    Methods.STATS: StatsParams,
}


def _request_type(method: str, params: type[Any]) -> type[Any]:
    """A JSON-RPC request message class, shaped like lsprotocol's (``id``, ``params``, ...)."""
    return attrs.make_class(
        params.__name__.removesuffix("Params") + "Request",
        {
            "id": attrs.field(type=int | str),  # type: ignore[arg-type]
            "params": attrs.field(type=params),
            "method": attrs.field(type=str, default=method),
            "jsonrpc": attrs.field(type=str, default="2.0"),
        },
    )


_REQUESTS = {method: _request_type(method, params) for method, params in PARAMS.items()}


class SourcePackerProtocol(LanguageServerProtocol):
    """Maps our methods to their types, so params arrive typed (not as namedtuples)."""

    def get_message_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        return _REQUESTS.get(method) or super().get_message_type(method)

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Answer a request whose params do not fit its type with an error.

        pygls logs such a request and drops it, leaving the client waiting forever.
        """
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "id" in data and "method" in data:
                cause = exc.__cause__ or exc
                message = f"invalid params for {data['method']}: {_first_line(cause)}"
                self._send_response(data["id"], error=ResponseError(exc.code, message))
            raise


def _first_line(exc: BaseException) -> str:
    from cattrs.errors import ClassValidationError

    while isinstance(exc, ClassValidationError) and exc.exceptions:
        exc = exc.exceptions[0]
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _strict_str_list(value: object, _type: object) -> list[str]:
    # cattrs would happily turn "abc" into ["a", "b", "c"]: a malformed request must fail.
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"expected a list of strings, got {value!r:.80}")
    return list(value)


def make_converter() -> Any:
    """lsprotocol's converter, stricter where a lenient conversion would hide a bad request."""
    from pygls.protocol import default_converter

    converter = default_converter()  # type: ignore[no-untyped-call]
    converter.register_structure_hook_func(lambda t: t == list[str], _strict_str_list)
    return converter


def all_method_names() -> set[str]:
    names = {v for k, v in vars(Methods).items() if k.isupper()}
    return names | {v for k, v in vars(Notifications).items() if k.isupper()}
