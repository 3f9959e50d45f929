"""``sourcepacker/profiles/*``: named selections saved for the folder."""

from __future__ import annotations

from pygls.exceptions import JsonRpcInvalidParams

from ... import profiles
from .. import protocol as p
from ..server import SourcePackerServer


def register(server: SourcePackerServer) -> None:
    server.feature(p.Methods.PROFILES_LIST)(list_profiles)
    server.feature(p.Methods.PROFILES_SAVE)(save_profile)
    server.feature(p.Methods.PROFILES_LOAD)(load_profile)
    server.feature(p.Methods.PROFILES_DELETE)(delete_profile)


def _info(i: profiles.ProfileInfo) -> p.ProfileInfo:
    return p.ProfileInfo(i.name, i.paths, i.saved_at)


def list_profiles(ls: SourcePackerServer, params: p.RootParams) -> p.ProfileList:
    session = ls.session(params.root_uri)
    return p.ProfileList([_info(i) for i in profiles.list_profiles(session.root)])


def save_profile(ls: SourcePackerServer, params: p.ProfileParams) -> p.ProfileInfo:
    session = ls.session(params.root_uri)
    try:
        info = session.engine.save_profile(params.name)
    except (profiles.ProfileError, OSError) as exc:
        raise JsonRpcInvalidParams(str(exc)) from None
    return _info(info)


def load_profile(ls: SourcePackerServer, params: p.ProfileParams) -> p.ProfileLoadResult:
    session = ls.session(params.root_uri)
    try:
        new = session.engine.load_profile(params.name)
    except profiles.ProfileError as exc:
        raise JsonRpcInvalidParams(str(exc)) from None
    session.new_files = frozenset(new)
    session.remember_selection()
    return p.ProfileLoadResult(session.totals(), new)


def delete_profile(ls: SourcePackerServer, params: p.ProfileParams) -> None:
    session = ls.session(params.root_uri)
    try:
        profiles.delete(session.root, params.name)
    except profiles.ProfileError as exc:
        raise JsonRpcInvalidParams(str(exc)) from None
