"""File events and editor buffers: what changed on disk, and unsaved edits that count live."""

from __future__ import annotations

from lsprotocol import types

from ..paths import rel_from_uri
from ..server import SourcePackerServer
from ..session import Session
from ..watcher import OWN_FOLDER, is_own


def register(server: SourcePackerServer) -> None:
    server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)(on_watched_files)
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(on_did_change)
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(on_did_close)


def on_watched_files(ls: SourcePackerServer, params: types.DidChangeWatchedFilesParams) -> None:
    for change in params.changes:
        for s in ls.sessions.values():
            rel = rel_from_uri(s.root, change.uri)
            if rel is None:
                if s.is_outside_rules_file(change.uri):
                    s.file_changed("")  # a .gitignore above the folder: reload the rules
                continue
            if not is_own(rel, (OWN_FOLDER,)):  # profile writes are not changes
                s.file_changed(rel)
            break


def _doc_session(ls: SourcePackerServer, uri: str) -> tuple[Session, str] | None:
    for s in ls.sessions.values():
        rel = rel_from_uri(s.root, uri)
        if rel:
            return s, rel
    return None


async def on_did_change(ls: SourcePackerServer, params: types.DidChangeTextDocumentParams) -> None:
    found = _doc_session(ls, params.text_document.uri)
    if found is None:
        return
    session, rel = found
    text = ls.workspace.get_text_document(params.text_document.uri).source
    state = await ls.off_loop(session.engine.set_overlay, rel, text)
    if state is not None:
        session.notifier.files_changed([state])


def on_did_close(ls: SourcePackerServer, params: types.DidCloseTextDocumentParams) -> None:
    found = _doc_session(ls, params.text_document.uri)
    if found is not None and found[0].engine.drop_overlay(found[1]):
        found[0].request_scan([found[1]], force=True)  # back to what is on disk
