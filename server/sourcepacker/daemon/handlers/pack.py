"""``sourcepacker/pack``: the selection (or given paths) packed into one prompt, or parts.

The params are :class:`sourcepacker.options.PackOptions` on the wire; the same options give
the ``prompt`` figure of the session's totals (see ``Session.totals``).
"""

from __future__ import annotations

from pygls.exceptions import JsonRpcInvalidParams

from ...gitctx import GitError
from ...models import find_model, model_names
from ...options import PackOptions
from ...packing import read_instructions
from .. import protocol as p
from ..server import SourcePackerServer
from ..session import Session


def register(server: SourcePackerServer) -> None:
    server.feature(p.Methods.PACK)(pack)


def options_from(ls: SourcePackerServer, session: Session, params: p.PackParams) -> PackOptions:
    """PackOptions from the params; a bad field is -32602 naming it."""
    model = None
    if params.model is not None:
        model = find_model(params.model)
        if model is None:
            raise JsonRpcInvalidParams(
                f"model: unknown model {params.model!r}; one of {model_names()}"
            )
    try:
        return PackOptions(
            format=params.format or ls.settings.format,
            tree=params.tree,
            instructions=read_instructions(session.root, None)
            if params.instructions is None
            else (params.instructions or None),
            transforms=tuple(params.transforms or ()),
            mask_secrets=params.mask_secrets,
            diff=params.diff,
            log=params.log,
            budget=params.budget or (model.context_window if model else None),
            model=model.name if model else None,
            split_tokens=params.split_tokens,
            since_last=params.since_last_pack,
        )
    except ValueError as exc:  # PackOptions names the field first: "format: unknown ..."
        field = str(exc).split(":", 1)[0]
        raise JsonRpcInvalidParams(str(exc) if ":" in str(exc) else f"{field}: {exc}") from exc


async def pack(ls: SourcePackerServer, params: p.PackParams) -> p.PackResult:
    session = ls.session(params.root_uri)
    options = options_from(ls, session, params)
    paths = None if params.paths is None else [ls.rel(session, r) for r in params.paths]
    engine = session.engine
    try:
        result = await ls.off_loop(lambda: engine.pack(options, paths=paths))
    except GitError as exc:
        raise JsonRpcInvalidParams(f"diff/log: {exc}") from exc
    if paths is None:  # the status bar's prompt figure follows the options Copy used
        session.use_pack_options(options)
    skipped = [p.SkippedFile(s["path"], s["reason"]) for s in result.skipped]
    model = find_model(options.model) if options.model else None
    budget = None
    if options.budget is not None:
        used = result.max_part_tokens if options.split_tokens else result.tokens
        budget = p.Budget(
            used, options.budget, options.model, model.exact if model else True,
            model.note if model else "",
        )  # fmt: skip
    parts = []
    if options.split_tokens is not None:
        parts = [p.PackPart(x.text, x.tokens, x.file_count) for x in result.parts]
    return p.PackResult(
        result.text,
        result.tokens,
        result.file_count,
        skipped,
        [p.Redaction(r.path, r.line, r.kind) for r in result.redactions],
        budget,
        parts,
        result.removed,
    )
