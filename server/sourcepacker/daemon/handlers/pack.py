"""``sourcepacker/pack``: the selection (or given paths) packed into one prompt."""

from __future__ import annotations

from pygls.exceptions import JsonRpcInvalidParams

from ...pack import FORMATS
from .. import protocol as p
from ..server import SourcePackerServer


def register(server: SourcePackerServer) -> None:
    server.feature(p.Methods.PACK)(pack)


async def pack(ls: SourcePackerServer, params: p.PackParams) -> p.PackResult:
    session = ls.session(params.root_uri)
    fmt = params.format or ls.settings.format
    if fmt not in FORMATS:
        raise JsonRpcInvalidParams(f"format: unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    paths = None if params.paths is None else [ls.rel(session, r) for r in params.paths]
    engine = session.engine
    result = await ls.off_loop(lambda: engine.pack(fmt=fmt, tree=params.tree, paths=paths))
    skipped = [p.SkippedFile(s["path"], s["reason"]) for s in result.skipped]
    return p.PackResult(result.text, result.tokens, result.file_count, skipped)
