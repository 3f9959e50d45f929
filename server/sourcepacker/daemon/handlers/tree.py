"""The tree view's requests: list one folder, tick and untick paths."""

from __future__ import annotations

from dataclasses import asdict

from .. import protocol as p
from ..server import SourcePackerServer


def register(server: SourcePackerServer) -> None:
    server.feature(p.Methods.LIST_FILES)(list_files)
    server.feature(p.Methods.SET_CHECKED)(set_checked)


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
