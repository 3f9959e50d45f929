"""The tree view's requests: list one folder, tick and untick paths, every counted file with its
tokens (for the view's filter and marks), and the files git says changed (to select them)."""

from __future__ import annotations

from dataclasses import asdict

from pygls.exceptions import JsonRpcInvalidParams

from ...gitctx import GitError, changed_files
from .. import protocol as p
from ..server import SourcePackerServer


def register(server: SourcePackerServer) -> None:
    server.feature(p.Methods.LIST_FILES)(list_files)
    server.feature(p.Methods.SET_CHECKED)(set_checked)
    server.feature(p.Methods.FILES)(files)
    server.feature(p.Methods.CHANGED_FILES)(changed)


def list_files(ls: SourcePackerServer, params: p.ListFilesParams) -> p.ListFilesResult:
    session = ls.session(params.root_uri)
    entries = session.engine.list_dir(
        ls.rel(session, params.dir),
        include_skipped=params.include_skipped,
        new_files=session.new_files,
    )
    # A folder that vanished while the view showed it lists as empty, not as an error.
    return p.ListFilesResult([p.Entry(**asdict(e)) for e in entries or []])


def set_checked(ls: SourcePackerServer, params: p.SetCheckedParams) -> p.Totals:
    session = ls.session(params.root_uri)
    session.engine.set_checked([ls.rel(session, r) for r in params.paths], params.checked)
    session.remember_selection()
    return session.totals()


def files(ls: SourcePackerServer, params: p.RootParams) -> p.FileList:
    engine = ls.session(params.root_uri).engine
    return p.FileList([p.FileTokens(*row) for row in engine.file_tokens()])


async def changed(ls: SourcePackerServer, params: p.ChangedFilesParams) -> p.PathList:
    """Changed files git reports that the folder counts (ignored or skipped ones left out)."""
    session = ls.session(params.root_uri)
    try:
        names = await ls.off_loop(changed_files, session.root, params.since)
    except GitError as exc:
        raise JsonRpcInvalidParams(f"changed files: {exc}") from exc
    known = {path for path, _, _ in session.engine.file_tokens()}
    return p.PathList([n for n in names if n in known])
