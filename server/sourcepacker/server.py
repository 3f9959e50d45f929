"""The daemon: pygls wiring only. Each handler decodes, calls the core once, encodes.

Long work runs on executors the daemon owns (pygls's own pool also reads stdin), handlers
are ``async def`` so ``$/cancelRequest`` works, and only the event loop talks to the client.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from . import __version__
from . import protocol as p
from .ignore import is_rules_file
from .listing import list_dir
from .logs import install_logging
from .packing import pack_selection
from .paths import OutsideWorkspaceError, rel_from_uri, safe_rel
from .session import Session
from .settings import Settings, parse_settings
from .vocab import DEFAULT_ENCODING, SHIPPED_SHA256, EncodingUnavailableError, get_encoding

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Debounce for file events: a branch switch's burst becomes one refresh.
EVENT_DEBOUNCE_SECONDS = 0.03
#: Beyond this many changed paths a whole-folder rescan is cheaper than targeted stats.
MAX_TARGETED_PATHS = 2000


class SourcePackerServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "sourcepacker",
            __version__,
            protocol_cls=p.SourcePackerProtocol,
            converter_factory=p.make_converter,
        )
        self.settings = Settings()
        self.sessions: dict[str, Session] = {}
        self.work = ThreadPoolExecutor(2, thread_name_prefix="sp-work")
        self.pending_events: dict[str, set[str] | None] = {}
        self._event_timer: asyncio.TimerHandle | None = None
        self.tasks: set[asyncio.Task[Any]] = set()

    def notify(self, method: str, params: Any) -> None:
        self.protocol.notify(method, params)

    def session(self, root_uri: str) -> Session:
        s = self.sessions.get(root_uri) or self.sessions.get(root_uri.rstrip("/"))
        if s is None:
            raise JsonRpcInvalidParams(f"unknown workspace folder {root_uri!r}")
        return s

    def run_task(self, coro: Any) -> None:
        """Fire and forget, but hold the task and log its failure."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    async def off_loop(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.work, fn, *args)


SERVER = SourcePackerServer()


def _rel(session: Session, rel: str) -> str:
    try:
        return safe_rel(session.root, rel)
    except OutsideWorkspaceError as exc:
        raise JsonRpcInvalidParams(str(exc)) from None


def _warn(ls: SourcePackerServer, message: str) -> None:
    log.warning(message)
    ls.window_show_message(types.ShowMessageParams(types.MessageType.Warning, message))


# --- lifecycle --------------------------------------------------------------------------------


@SERVER.feature(types.INITIALIZE)
def on_initialize(ls: SourcePackerServer, params: types.InitializeParams) -> None:
    ls.settings, problems = parse_settings(params.initialization_options)
    for problem in problems:
        _warn(ls, f"SourcePacker settings: {problem}")
    ls.settings = usable_encoding(ls, ls.settings)
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    # Sessions (and their persisted caches) load here, before the reply, so that no request
    # can arrive for a folder that is still opening.
    for uri in uris:
        session = open_folder(ls, uri)
        if session is not None:
            preload_encoding(session)


@SERVER.feature(types.INITIALIZED)
def on_initialized(ls: SourcePackerServer, params: types.InitializedParams) -> None:
    for session in ls.sessions.values():
        start_session(session)
    ls.run_task(register_watchers(ls))


def open_folder(ls: SourcePackerServer, uri: str) -> Session | None:
    path = Path(to_fs_path(uri) or "")
    if not path.is_dir():
        _warn(ls, f"SourcePacker: workspace folder {path} does not exist")
        return None
    session = ls.sessions[uri] = Session(uri, path.resolve(), ls.settings, ls.notify)
    if session.engine.cache.load_error:
        log.warning("%s", session.engine.cache.load_error)
    return session


def usable_encoding(ls: SourcePackerServer, settings: Settings) -> Settings:
    """The settings, with the default encoding if the chosen one cannot be had offline."""
    if settings.encoding in SHIPPED_SHA256:
        return settings
    try:
        get_encoding(settings.encoding)
    except EncodingUnavailableError as exc:
        _warn(ls, f"SourcePacker: {str(exc).splitlines()[0]}; using {DEFAULT_ENCODING}")
        return settings.with_changes(encoding=DEFAULT_ENCODING)
    return settings


def preload_encoding(session: Session) -> None:
    """Load the encoding now when the folder will need tokenizing right away.

    Building tiktoken's BPE holds the GIL for ~0.15 s; done during the first requests it showed
    as 150-350 ms answers, done before the reply to ``initialize`` nobody waits on it. A folder
    whose counts are all cached skips this: a warm start may never need the encoding.
    """
    sums = session.engine.model.totals()
    if sums.pending or sums.files == 0:
        try:
            session.engine.pool.counter()
        except Exception as exc:  # an unavailable encoding is reported when it is used
            log.warning("%s", exc)


def start_session(session: Session) -> None:
    session.notifier.totals_changed(urgent=True)  # cached counts: exact before any reading
    session.request_scan()


async def register_watchers(ls: SourcePackerServer) -> None:
    caps = ls.client_capabilities.workspace
    watched = caps.did_change_watched_files if caps else None
    if watched is None or not watched.dynamic_registration:
        log.info("client cannot watch files for us; rescan on request only")
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern="**/*")]
    )
    registration = types.Registration(
        id="sourcepacker-watch",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=options,
    )
    try:
        await ls.client_register_capability_async(types.RegistrationParams([registration]))
    except Exception as exc:
        log.warning("could not register file watchers: %s", exc)


@SERVER.feature(types.SHUTDOWN)
async def on_shutdown(ls: SourcePackerServer, params: None) -> None:
    sessions = list(ls.sessions.values())
    for s in sessions:
        s.stop()
    await asyncio.gather(*(ls.off_loop(s.close) for s in sessions))
    ls.work.shutdown(wait=False, cancel_futures=True)


@SERVER.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def on_configuration(
    ls: SourcePackerServer, params: types.DidChangeConfigurationParams
) -> None:
    settings, problems = parse_settings(params.settings, ls.settings)
    for problem in problems:
        _warn(ls, f"SourcePacker settings: {problem}")
    ls.settings = settings = usable_encoding(ls, settings)
    for s in ls.sessions.values():
        if await ls.off_loop(s.engine.apply_settings, settings):
            s.request_scan(force=False)
        s.notifier.totals_changed()


@SERVER.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
async def on_folders(ls: SourcePackerServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
    for f in params.event.removed:
        session = ls.sessions.pop(f.uri, None)
        if session is not None:
            session.stop()
            await ls.off_loop(session.close)
    for f in params.event.added:
        session = open_folder(ls, f.uri)
        if session is not None:
            start_session(session)


# --- file events and editor buffers -----------------------------------------------------------


@SERVER.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def on_watched_files(ls: SourcePackerServer, params: types.DidChangeWatchedFilesParams) -> None:
    for change in params.changes:
        for uri, s in ls.sessions.items():
            rel = rel_from_uri(s.root, change.uri)
            if rel is None or rel.startswith(".sourcepacker/") or rel == ".sourcepacker":
                continue
            paths = ls.pending_events.setdefault(uri, set())
            if is_rules_file(rel) or rel == "":
                s.engine.invalidate_rules()
                ls.pending_events[uri] = None  # rules changed: every path may flip
            elif paths is not None:
                paths.add(rel)
            break
    if ls._event_timer is None:
        loop = asyncio.get_running_loop()
        ls._event_timer = loop.call_later(EVENT_DEBOUNCE_SECONDS, _flush_events, ls)


def _flush_events(ls: SourcePackerServer) -> None:
    ls._event_timer = None
    events, ls.pending_events = ls.pending_events, {}
    for uri, paths in events.items():
        session = ls.sessions.get(uri)
        if session is None:
            continue
        if paths is None or len(paths) > MAX_TARGETED_PATHS:
            session.request_scan()
        elif paths:
            session.request_scan(sorted(paths))


def _doc_session(ls: SourcePackerServer, uri: str) -> tuple[Session, str] | None:
    for s in ls.sessions.values():
        rel = rel_from_uri(s.root, uri)
        if rel:
            return s, rel
    return None


async def _overlay(ls: SourcePackerServer, uri: str) -> None:
    found = _doc_session(ls, uri)
    if found is None:
        return
    session, rel = found
    with session.engine.lock:
        known = rel in session.engine.model.files
    if not known:
        return  # ignored, or not a countable file: an open buffer does not change that
    text = ls.workspace.get_text_document(uri).source
    state = await ls.off_loop(session.engine.set_overlay, rel, text)
    session.notifier.files_changed([state])


@SERVER.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def on_did_change(ls: SourcePackerServer, params: types.DidChangeTextDocumentParams) -> None:
    await _overlay(ls, params.text_document.uri)


@SERVER.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def on_did_close(ls: SourcePackerServer, params: types.DidCloseTextDocumentParams) -> None:
    found = _doc_session(ls, params.text_document.uri)
    if found is not None and found[0].engine.drop_overlay(found[1]):
        found[0].request_scan([found[1]], force=True)  # back to what is on disk


# --- requests ---------------------------------------------------------------------------------


@SERVER.feature(p.Methods.LIST_FILES)
def list_files(ls: SourcePackerServer, params: p.ListFilesParams) -> p.ListFilesResult:
    session = ls.session(params.root_uri)
    rel = _rel(session, params.dir)
    with session.engine.lock:
        entries = list_dir(
            session.engine.model,
            rel,
            include_skipped=params.include_skipped,
            new_files=session.new_files,
        )
    return p.ListFilesResult(entries or [])


@SERVER.feature(p.Methods.SET_CHECKED)
def set_checked(ls: SourcePackerServer, params: p.SetCheckedParams) -> p.Totals:
    session = ls.session(params.root_uri)
    rels = [_rel(session, r) for r in params.paths]
    with session.engine.lock:
        session.engine.model.selection.set(rels, params.checked)
    session.remember_selection()
    return session.totals()


@SERVER.feature(p.Methods.PACK)
async def pack(ls: SourcePackerServer, params: p.PackParams) -> p.PackResult:
    session = ls.session(params.root_uri)
    fmt = params.format or ls.settings.format
    if fmt not in ("xml", "markdown", "plain"):
        raise JsonRpcInvalidParams(f"unknown format {fmt!r}: xml, markdown or plain")
    paths = None if params.paths is None else [_rel(session, r) for r in params.paths]
    result = await ls.off_loop(
        lambda: pack_selection(session.engine, fmt=fmt, tree=params.tree, paths=paths)
    )
    skipped = [p.SkippedFile(s["path"], s["reason"]) for s in result.skipped]
    return p.PackResult(result.text, result.tokens, result.file_count, skipped)


@SERVER.feature(p.Methods.SCAN)
async def scan(ls: SourcePackerServer, params: p.ScanParams) -> p.ScanResult:
    session = ls.session(params.root_uri)
    try:
        report = await session.request_scan(force=params.force)
    except asyncio.CancelledError:  # $/cancelRequest: stop the work, not just the reply
        session.cancel_scans()
        raise
    return p.ScanResult(
        report.files,
        report.tokenized,
        report.cache_hits,
        sum(report.skipped.values()),
        report.read,
        report.cancelled,
    )


@SERVER.feature(p.Methods.STATS)
def stats(ls: SourcePackerServer, params: p.StatsParams) -> p.Stats:
    sessions = [ls.session(params.root_uri)] if params.root_uri else list(ls.sessions.values())
    out = p.Stats(0, 0, 0, 0, {}, {}, 0, 0.0, 0, 0, 0, False)
    for s in sessions:
        with s.engine.lock:
            st, model = s.engine.stats, s.engine.model
            out.files += model.totals().files
            out.tokenized += st.tokenized
            out.cache_hits += st.cache_hits
            out.hashed += st.read
            out.scans += st.scans
            out.last_scan_tokenized += st.last.tokenized
            out.last_scan_read += st.last.read
            for f in model.files.values():
                if f.skip is not None:
                    out.skipped[f.skip.value] = out.skipped.get(f.skip.value, 0) + 1
            for stage, seconds in st.stage_seconds.items():
                out.stage_seconds[stage] = out.stage_seconds.get(stage, 0.0) + seconds
        out.queue_depth += s.engine.pool.queue_depth
        out.last_batch_seconds = max(out.last_batch_seconds, s.engine.pool.last_batch_seconds)
        out.scanning = out.scanning or s.scanning
    return out


from . import handlers_profiles  # noqa: E402,F401  (registers the profile requests)


def serve() -> None:
    """Run on stdio until the client says ``exit``."""
    install_logging(SERVER)
    # stdout carries JSON-RPC only: anything else printing to it would corrupt the stream.
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr
    SERVER.start_io(stdin=sys.stdin.buffer, stdout=stdout)
