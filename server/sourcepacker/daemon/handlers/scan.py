"""``sourcepacker/scan`` and ``sourcepacker/stats``."""

from __future__ import annotations

import asyncio

from .. import protocol as p
from ..server import SourcePackerServer


def register(server: SourcePackerServer) -> None:
    server.feature(p.Methods.SCAN)(scan)
    server.feature(p.Methods.STATS)(stats)


async def scan(ls: SourcePackerServer, params: p.ScanParams) -> p.ScanResult:
    session = ls.session(params.root_uri)
    try:
        if not params.force:  # a rescan that trusts events must have them all
            await session.events_settled()
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


def stats(ls: SourcePackerServer, params: p.StatsParams) -> p.Stats:
    sessions = [ls.session(params.root_uri)] if params.root_uri else list(ls.sessions.values())
    out = p.Stats(0, 0, 0, 0, {}, {}, 0, 0.0, 0, 0, 0, False, "", "")
    watchers = {s.watcher for s in sessions}
    out.watcher = "none" if "none" in watchers or not watchers else max(watchers)  # daemon > client
    scans = {s.last_whole_scan for s in sessions}
    out.last_whole_scan = "walk" if "walk" in scans else max(scans, default="")
    for s in sessions:
        t = s.engine.telemetry()
        out.files += t.files
        out.tokenized += t.tokenized
        out.cache_hits += t.cache_hits
        out.hashed += t.read
        out.scans += t.scans
        out.last_scan_tokenized += t.last_tokenized
        out.last_scan_read += t.last_read
        for reason, n in t.skipped.items():
            out.skipped[reason] = out.skipped.get(reason, 0) + n
        for stage, seconds in t.stage_seconds.items():
            out.stage_seconds[stage] = out.stage_seconds.get(stage, 0.0) + seconds
        out.queue_depth += t.queue_depth
        out.last_batch_seconds = max(out.last_batch_seconds, t.last_batch_seconds)
        out.scanning = out.scanning or s.scanning
    return out
