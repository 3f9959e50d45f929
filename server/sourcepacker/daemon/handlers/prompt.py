"""What the editor needs to show the prompt's cost before a copy: the options the ``prompt``
figure of totals follows, and the shipped models with their context windows."""

from __future__ import annotations

from ...models import MODELS
from .. import protocol as p
from ..server import SourcePackerServer
from .pack import options_from


def register(server: SourcePackerServer) -> None:
    server.feature(p.Methods.SET_PACK_OPTIONS)(set_pack_options)
    server.feature(p.Methods.MODELS)(models)


def set_pack_options(ls: SourcePackerServer, params: p.PackParams) -> p.Totals:
    """Copy's options changed in the editor: the status bar's figure follows them now, not at
    the next copy. Returns the totals (``prompt`` absent until computed, then notified)."""
    session = ls.session(params.root_uri)
    session.use_pack_options(options_from(ls, session, params))
    return session.totals()


def models(ls: SourcePackerServer, params: p.StatsParams) -> p.ModelsResult:
    del ls, params
    return p.ModelsResult(
        [p.ModelRow(m.name, m.provider, m.context_window, m.exact, m.note) for m in MODELS]
    )
