"""Handlers of ``sourcepacker/profiles/*``: named selections saved for the folder."""

from __future__ import annotations

from pygls.exceptions import JsonRpcInvalidParams

from . import profiles
from . import protocol as p
from .server import SERVER, SourcePackerServer


def _info(i: profiles.ProfileInfo) -> p.ProfileInfo:
    return p.ProfileInfo(i.name, i.paths, i.saved_at)


@SERVER.feature(p.Methods.PROFILES_LIST)
def list_profiles(ls: SourcePackerServer, params: p.RootParams) -> p.ProfileList:
    session = ls.session(params.root_uri)
    return p.ProfileList([_info(i) for i in profiles.list_profiles(session.root)])


@SERVER.feature(p.Methods.PROFILES_SAVE)
def save_profile(ls: SourcePackerServer, params: p.ProfileParams) -> p.ProfileInfo:
    session = ls.session(params.root_uri)
    try:
        with session.engine.lock:
            info = profiles.save(session.root, params.name, session.engine.model)
    except (profiles.ProfileError, OSError) as exc:
        raise JsonRpcInvalidParams(str(exc)) from None
    return _info(info)


@SERVER.feature(p.Methods.PROFILES_LOAD)
def load_profile(ls: SourcePackerServer, params: p.ProfileParams) -> p.ProfileLoadResult:
    session = ls.session(params.root_uri)
    try:
        with session.engine.lock:
            new = profiles.load(session.root, params.name, session.engine.model)
    except profiles.ProfileError as exc:
        raise JsonRpcInvalidParams(str(exc)) from None
    session.new_files = set(new)
    session.remember_selection()
    return p.ProfileLoadResult(session.totals(), new)


@SERVER.feature(p.Methods.PROFILES_DELETE)
def delete_profile(ls: SourcePackerServer, params: p.ProfileParams) -> None:
    session = ls.session(params.root_uri)
    try:
        profiles.delete(session.root, params.name)
    except profiles.ProfileError as exc:
        raise JsonRpcInvalidParams(str(exc)) from None
