"""The wire contract: method names and payload types of the ``sourcepacker/…`` protocol.

Mirrored for the extension by ``clients/vscode/src/protocol.ts``; ``tests/unit/test_protocol.py``
checks that both name the same methods. pygls converts these attrs classes with lsprotocol's
converter: fields become camelCase, and a field equal to its default is omitted, so every
field with a default is optional on the TypeScript side.
"""

from __future__ import annotations

import typing
from typing import Any

import attrs
from lsprotocol.types import ResponseError
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest
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
    SET_PACK_OPTIONS = "sourcepacker/setPackOptions"
    MODELS = "sourcepacker/models"
    FILES = "sourcepacker/files"
    CHANGED_FILES = "sourcepacker/changedFiles"


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
    """The fields of :class:`sourcepacker.options.PackOptions`, camelCase on the wire."""

    root_uri: str
    format: str | None = None
    #: Files/folders to pack; the current selection when omitted.
    paths: list[str] | None = None
    tree: bool = False
    #: Text at the top; None: the workspace's .sourcepacker/instructions.md when present.
    instructions: str | None = None
    #: remove-comments, remove-empty-lines, compress, line-numbers.
    transforms: list[str] | None = None
    mask_secrets: bool = True
    diff: bool = False
    log: int = 0
    #: A model of the shipped table: its context window is the budget (and its note applies).
    model: str | None = None
    budget: int | None = None
    split_tokens: int | None = None
    since_last_pack: bool = False


@attrs.define
class ChangedFilesParams:
    root_uri: str
    #: A git revision; None: uncommitted changes (untracked files included).
    since: str | None = None


@attrs.define
class PathList:
    paths: list[str]


@attrs.define
class FileList:
    files: list[FileTokens]


@attrs.define
class ModelRow:
    name: str
    provider: str
    context_window: int
    #: False when the count approximates the model's own tokenizer (see ``note``).
    exact: bool = True
    note: str = ""


@attrs.define
class ModelsResult:
    models: list[ModelRow]


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
    #: Tokens of the prompt Copy would produce now (files + wrappers + instructions + tree, for
    #: the options of the last pack); None while it is being computed.
    prompt: int | None = None
    #: The budget of the last pack's options (model context window or given); None: none.
    budget: int | None = None


@attrs.define
class SkippedFile:
    path: str
    reason: str


@attrs.define
class Redaction:
    path: str
    line: int
    kind: str


@attrs.define
class Budget:
    #: The prompt's tokens (the largest part's when split).
    used: int
    budget: int
    model: str | None = None
    #: False when the model's own tokenizer is not the one counted with (see ``note``).
    exact: bool = True
    note: str = ""


@attrs.define
class PackPart:
    text: str
    tokens: int
    file_count: int


@attrs.define
class PackResult:
    #: The whole prompt (all parts one after the other when split).
    text: str
    tokens: int
    file_count: int
    skipped: list[SkippedFile]
    redactions: list[Redaction] = attrs.field(factory=list)
    budget: Budget | None = None
    #: Each part when ``splitTokens`` was given (each at most that many tokens), else empty.
    parts: list[PackPart] = attrs.field(factory=list)
    #: Files of the last pack gone since (``sinceLastPack``).
    removed: list[str] = attrs.field(factory=list)


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
    #: Who reports file changes: "client", "daemon" (its own watcher) or "none"; several folders:
    #: "none" unless every one has a watcher, "daemon" if any of those is ours.
    watcher: str
    #: How the last whole-folder scan was served: "walk", "events" (the watcher's paths only) or
    #: "" before any; several folders: "walk" if any walked.
    last_whole_scan: str


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
    Methods.SET_PACK_OPTIONS: PackParams,
    Methods.MODELS: StatsParams,
    Methods.FILES: RootParams,
    Methods.CHANGED_FILES: ChangedFilesParams,
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
        """Answer a request whose params do not fit its type with an error naming the field.

        pygls logs such a request and drops it, leaving the client waiting forever.
        """
        if "jsonrpc" not in data or "method" not in data:
            return super().structure_message(data)  # a nested object, or a response
        method = data["method"]
        if not isinstance(method, str):
            if "id" in data:
                error = ResponseError(JsonRpcInvalidRequest.CODE, "method is not a string")
                self._send_response(data["id"], error=error)
            raise JsonRpcInvalidRequest(f"method is not a string: {method!r:.80}")
        if data.get("params") is None:  # JSON-RPC lets a message omit its params
            data = {**data, "params": {} if method in PARAMS else None}
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "id" in data:
                what = "invalid params for" if exc.code == JsonRpcInvalidParams.CODE else "bad"
                message = f"{what} {method}: {describe_error(exc.__cause__ or exc)}"
                self._send_response(data["id"], error=ResponseError(exc.code, message))
            raise


def describe_error(exc: BaseException) -> str:
    """cattrs's error tree as ``field: problem`` (camelCase, as on the wire), ``; ``-joined."""
    from cattrs.errors import AttributeValidationNote, IterableValidationNote

    problems: list[str] = []

    def walk(e: BaseException, path: str) -> None:
        for note in getattr(e, "__notes__", []):
            if isinstance(note, AttributeValidationNote) and note.name != "params":
                path = f"{path}.{_camel(note.name)}" if path else _camel(note.name)
            elif isinstance(note, IterableValidationNote):
                path = f"{path}[{note.index}]"
        subs = getattr(e, "exceptions", None)
        if subs:
            for sub in subs:
                walk(sub, path)
            return
        problem = "required" if isinstance(e, KeyError) else str(e).splitlines()[0]
        problems.append(f"{path}: {problem}" if path else problem)

    walk(exc, "")
    return "; ".join(problems) or type(exc).__name__


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# --- strict structuring of our params ---------------------------------------------------------
# cattrs coerces by default: str(12345) == "12345", bool("yes") is True, list("abc") is
# ["a", "b", "c"]. A request with a wrong type is a bug in the client; it gets -32602 instead.


def _str(value: object, _type: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r:.80}")
    return value


def _bool(value: object, _type: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r:.80}")
    return value


def _int(value: object, _type: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {value!r:.80}")
    return value


def _is_list(t: Any) -> bool:
    return typing.get_origin(t) is list


def _list_factory(t: Any, converter: Any) -> Any:
    from cattrs.cols import list_structure_factory

    structure_items = list_structure_factory(t, converter)

    def structure(value: object, _type: object) -> list[Any]:
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {value!r:.80}")
        return structure_items(value, t)  # type: ignore[no-any-return]

    return structure


def _attrs_factory(cls: Any, converter: Any) -> Any:
    from cattrs.gen import make_dict_structure_fn, override

    renames = {a.name: override(rename=_camel(a.name)) for a in attrs.fields(cls)}
    structure_fields = make_dict_structure_fn(cls, converter, **renames)  # type: ignore[arg-type]

    def structure(value: object, _type: object) -> Any:
        if not isinstance(value, dict):
            raise TypeError(f"expected an object, got {value!r:.80}")
        return structure_fields(value, cls)

    return structure


def make_strict_converter() -> Any:
    """A converter for our own attrs types: camelCase keys, no coercion, unknown keys ignored."""
    import cattrs

    converter = cattrs.Converter()
    converter.register_structure_hook(str, _str)
    converter.register_structure_hook(bool, _bool)
    converter.register_structure_hook(int, _int)
    converter.register_structure_hook_factory(_is_list, _list_factory)
    converter.register_structure_hook_factory(attrs.has, _attrs_factory)
    return converter


def make_converter() -> Any:
    """lsprotocol's converter; our own params go through the strict one."""
    from pygls.protocol import default_converter

    converter = default_converter()  # type: ignore[no-untyped-call]
    strict = make_strict_converter()
    ours = set(PARAMS.values())
    converter.register_structure_hook_func(lambda t: t in ours, strict.structure)
    return converter


def all_method_names() -> set[str]:
    names = {v for k, v in vars(Methods).items() if k.isupper()}
    return names | {v for k, v in vars(Notifications).items() if k.isupper()}
