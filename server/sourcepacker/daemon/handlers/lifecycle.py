"""Initialize, shutdown, settings and workspace folders."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from ...engine import Engine
from ...settings import Settings, parse_settings
from ...vocab import (
    DEFAULT_ENCODING,
    SHIPPED_VOCABULARY,
    EncodingUnavailableError,
    get_encoding,
    resolve_encoding,
)
from ..server import SourcePackerServer
from ..session import Session

log = logging.getLogger(__name__)


def register(server: SourcePackerServer) -> None:
    server.feature(types.INITIALIZE)(on_initialize)
    server.feature(types.INITIALIZED)(on_initialized)
    server.feature(types.SHUTDOWN)(on_shutdown)
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(on_configuration)
    server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)(on_folders)


#: ``initializationOptions.fileWatcher``: who tells the daemon about file changes. "auto": the
#: client when it accepts a ``didChangeWatchedFiles`` registration, else the daemon's own watcher
#: (daemon/watcher.py); "daemon": always ours; "off": nobody, every rescan walks the folder.
WATCHER_MODES = ("auto", "daemon", "off")


def watcher_mode(ls: SourcePackerServer, options: object) -> str:
    mode = options.get("fileWatcher", "auto") if isinstance(options, dict) else "auto"
    if mode not in WATCHER_MODES:
        ls.warn(f"SourcePacker: fileWatcher must be one of {', '.join(WATCHER_MODES)}; using auto")
        return "auto"
    return str(mode)


def on_initialize(ls: SourcePackerServer, params: types.InitializeParams) -> None:
    ls.watcher_mode = watcher_mode(ls, params.initialization_options)
    ls.settings, problems = parse_settings(params.initialization_options)
    for problem in problems:
        ls.warn(f"SourcePacker settings: {problem}")
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


#: How long the first scans wait for the client to accept our file watcher (or for the daemon's
#: own to be live). A walk that starts with the watcher live lets later rescans trust events
#: (daemon/session.py); VS Code answers within milliseconds, a client that never answers only
#: delays the first scan this long.
WATCHER_REPLY_SECONDS = 2.0


def on_initialized(ls: SourcePackerServer, params: types.InitializedParams) -> None:
    sessions = list(ls.sessions.values())
    for session in sessions:
        session.notifier.totals_changed(urgent=True)  # cached counts: exact before any reading
    ls.run_task(_watch_then_scan(ls, sessions))


async def _watch_then_scan(ls: SourcePackerServer, sessions: list[Session]) -> None:
    """Register the watcher, then walk: the first walk is then one that events can build on."""
    registering = ls.run_task(register_watchers(ls))
    _done, pending = await asyncio.wait({registering}, timeout=WATCHER_REPLY_SECONDS)
    if pending:
        log.warning("no answer to the file watcher registration yet; scanning anyway")
    for session in sessions:
        if ls.sessions.get(session.root_uri) is session:  # not closed meanwhile
            session.request_scan()


def open_folder(ls: SourcePackerServer, uri: str) -> Session | None:
    path = Path(to_fs_path(uri) or "")
    if not path.is_dir():
        ls.warn(f"SourcePacker: workspace folder {path} does not exist")
        return None
    engine = Engine(path.resolve(), ls.settings)
    if engine.cache.load_error:
        log.warning("%s", engine.cache.load_error)
    session = ls.sessions[uri] = Session(uri, engine, ls.notify, ls.work_done_progress)
    if ls.watching:  # the "**/*" registration covers folders added later too
        session.watcher_started()
    elif ls.own_watch:
        session.start_own_watcher()
    return session


def usable_encoding(ls: SourcePackerServer, settings: Settings) -> Settings:
    """The settings, with the default encoding if the chosen one cannot be had offline."""
    try:
        name = resolve_encoding(settings.encoding)  # a model name (gpt-4o) means its encoding
        if name not in SHIPPED_VOCABULARY:
            get_encoding(name)
    except EncodingUnavailableError as exc:
        ls.warn(f"SourcePacker: {str(exc).splitlines()[0]}; using {DEFAULT_ENCODING}")
        return settings.with_changes(encoding=DEFAULT_ENCODING)
    return settings if name == settings.encoding else settings.with_changes(encoding=name)


def preload_encoding(session: Session) -> None:
    """Load the encoding now when the folder will need tokenizing right away.

    Building tiktoken's BPE holds the GIL for ~0.15 s; done during the first requests it showed
    as 150-350 ms answers, done before the reply to ``initialize`` nobody waits on it. A folder
    whose counts are all cached skips this: a warm start may never need the encoding.
    """
    _selected, sums = session.engine.totals()
    if sums.pending or sums.files == 0:
        try:
            session.engine.pool.counter()
        except Exception as exc:  # an unavailable encoding is reported when it is used
            log.warning("%s", exc)


def start_session(session: Session) -> None:
    session.notifier.totals_changed(urgent=True)  # cached counts: exact before any reading
    session.request_scan()


async def register_watchers(ls: SourcePackerServer) -> None:
    """Have every folder watched: by the client if it can (``auto``), else by the daemon."""
    if ls.watcher_mode == "off":
        log.info("fileWatcher is off: every rescan walks the folder")
        return
    if ls.watcher_mode == "auto" and await register_client_watchers(ls):
        return
    ls.own_watch = True
    for session in ls.sessions.values():
        session.start_own_watcher()
    await own_watchers_ready(list(ls.sessions.values()))


async def own_watchers_ready(sessions: list[Session]) -> None:
    """Until each daemon watcher is live or has failed (one warning line each, then walks)."""
    ready = [asyncio.wrap_future(s.own_watcher.ready) for s in sessions if s.own_watcher]
    if ready:
        await asyncio.wait(ready)


async def register_client_watchers(ls: SourcePackerServer) -> bool:
    """Ask the client to watch every folder, and the ignore-rules files above each of them.

    git's rules come from the repository's top down to the folder (and ``core.excludesFile``),
    so an edit to a ``.gitignore`` above an opened subfolder must reload its rules too.
    """
    caps = ls.client_capabilities.workspace
    watched = caps.did_change_watched_files if caps else None
    if watched is None or not watched.dynamic_registration:
        log.info("client cannot watch files for us; the daemon watches them")
        return False
    watchers = [types.FileSystemWatcher(glob_pattern="**/*")]
    if watched.relative_pattern_support:
        for session in list(ls.sessions.values()):
            outside = await ls.off_loop(lambda s=session: s.engine.rules.outside_files)
            for path in outside:
                pattern = types.RelativePattern(base_uri=path.parent.as_uri(), pattern=path.name)
                watchers.append(types.FileSystemWatcher(glob_pattern=pattern))
    options = types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers)
    registration = types.Registration(
        id="sourcepacker-watch",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=options,
    )
    try:
        await ls.client_register_capability_async(types.RegistrationParams([registration]))
    except Exception as exc:
        log.warning("could not register file watchers (%s); the daemon watches them", exc)
        return False
    # From here on a whole-folder rescan may trust the events (daemon/session.py).
    ls.watching = True
    for session in ls.sessions.values():
        session.watcher_started()
    return True


async def on_shutdown(ls: SourcePackerServer, params: None) -> None:
    sessions = list(ls.sessions.values())
    for s in sessions:
        s.stop()
    await asyncio.gather(*(ls.off_loop(s.close) for s in sessions))
    ls.work.shutdown(wait=False, cancel_futures=True)


async def on_configuration(
    ls: SourcePackerServer, params: types.DidChangeConfigurationParams
) -> None:
    settings, problems = parse_settings(params.settings, ls.settings)
    for problem in problems:
        ls.warn(f"SourcePacker settings: {problem}")
    ls.settings = settings = usable_encoding(ls, settings)
    for s in ls.sessions.values():
        if await ls.off_loop(s.engine.apply_settings, settings):
            s.distrust_events()  # new rules or encoding: every file may change
            s.request_scan(force=False)
        s.notifier.totals_changed()


async def on_folders(ls: SourcePackerServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
    for f in params.event.removed:
        session = ls.sessions.pop(f.uri, None)
        if session is not None:
            session.stop()
            await ls.off_loop(session.close)
    for f in params.event.added:
        session = open_folder(ls, f.uri)
        if session is not None:
            if session.own_watcher is not None:  # live before the first walk: it is trusted
                await asyncio.wait(
                    [asyncio.wrap_future(session.own_watcher.ready)],
                    timeout=WATCHER_REPLY_SECONDS,
                )
            start_session(session)
