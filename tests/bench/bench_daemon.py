"""Daemon benchmark: drive `python -m sourcepacker serve` over stdio like the VS Code extension.

A small asyncio LSP client (Content-Length framing) starts the daemon with
``SOURCEPACKER_CACHE_DIR`` pointing at a fresh directory, initializes with the tree as the only
workspace folder (``window.workDoneProgress`` and dynamic ``didChangeWatchedFiles`` advertised,
their server requests answered with ``null``) and measures, per corpus and run:

* ``first``    — ``initialized`` sent → first ``sourcepacker/totals`` (goal < 200 ms)
* ``exact``    — ``initialized`` → totals with ``pendingFiles == 0`` after the scan's
  ``$/progress`` end, confirmed by ``sourcepacker/stats`` ``scanning == false``
* request latency while the cold scan runs: ``listFiles`` (root, a deep dir) and
  ``setChecked`` (p50 / p99, goal p99 < 50 ms), and the same when idle
* ``edit``     — append to a file + ``workspace/didChangeWatchedFiles`` → updated totals
  (goal < 100 ms; median of ``--edits`` edits; the file is restored afterwards)
* ``rescan``   — ``sourcepacker/scan`` round trip with nothing changed (goal < 0.3 s at 100k)
* ``rss``      — VmRSS / VmHWM of the daemon process (not its children) after the scan
* ``warm``     — restart on the persisted cache: ``initialized`` → first totals, whether those
  totals are already exact, and → the verifying scan's end

``python tests/bench/bench_daemon.py [--corpus gen10k stdlib gen100k] [--runs 3]``
``--pyspy OUT.svg`` records the daemon with py-spy during no-change rescans of the last corpus.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import BENCH, GEN_DEEP_DIR, corpus, python_env

PYTHON = os.environ.get("SOURCEPACKER_PYTHON", sys.executable)
DEEP_DIR = {**GEN_DEEP_DIR, "stdlib": "email/mime", "large": "django-5.2.19/django/db/models"}
EDIT_FILE = {
    "gen10k": "pkg03/mod07/file010.py",
    "gen100k": "pkg03/mod07/part05/file010.py",
    "stdlib": "email/mime/text.py",
    "large": "django-5.2.19/django/db/models/constants.py",
}
CHECK_DIR = {"gen10k": "pkg03", "gen100k": "pkg03", "stdlib": "email", "large": "django-5.2.19"}

TOTALS = "sourcepacker/totals"


# --- a minimal LSP client ---------------------------------------------------------------------


@dataclass
class Note:
    method: str
    at: float
    params: Any


class LspClient:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.notes: list[Note] = []
        self.counts: dict[str, int] = {}
        self.changed = asyncio.Event()
        self.progress_ended = 0
        self.spawned = 0.0
        self.bad_frames: list[tuple[int, bytes, str]] = []
        self.init_s = 0.0
        self.reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def start(cls, cache_dir: Path, stderr_path: Path) -> LspClient:
        env = {**python_env(), "SOURCEPACKER_CACHE_DIR": str(cache_dir)}
        stderr = stderr_path.open("ab")
        proc = await asyncio.create_subprocess_exec(
            PYTHON,
            "-m",
            "sourcepacker",
            "serve",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=env,
            limit=2**26,
        )
        stderr.close()
        return cls(proc)

    def _write(self, msg: dict[str, Any]) -> None:
        body = json.dumps(msg, separators=(",", ":")).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                line = await out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            body = await out.readexactly(length)
            now = time.perf_counter()
            # Big per-file deltas are only counted: parsing them would steal CPU from the daemon.
            if b'"sourcepacker/fileTokens"' in body[:100] or (
                len(body) > 4096 and b'"method":"sourcepacker/fileTokens"' in body
            ):
                self.counts["sourcepacker/fileTokens"] = (
                    self.counts.get("sourcepacker/fileTokens", 0) + 1
                )
                continue
            try:
                msg = json.loads(body)
            except ValueError as exc:  # a corrupt frame: keep it as evidence, keep reading
                self.bad_frames.append((length, body[:300], str(exc)))
                print(f"BAD FRAME len={length}: {body[:300]!r}", file=sys.stderr, flush=True)
                continue
            if "method" in msg and "id" in msg:  # a server → client request
                self._write({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                continue
            if "method" in msg:
                method = msg["method"]
                self.counts[method] = self.counts.get(method, 0) + 1
                params = msg.get("params")
                if method == "$/progress" and (params or {}).get("value", {}).get("kind") == "end":
                    self.progress_ended += 1
                if method in (TOTALS, "$/progress", "window/showMessage"):
                    self.notes.append(Note(method, now, params))
                self.changed.set()
                continue
            fut = self.pending.pop(msg.get("id"), None)
            if fut is not None and not fut.done():
                if "error" in msg:
                    fut.set_exception(RuntimeError(f"{msg['error']}"))
                else:
                    fut.set_result((msg.get("result"), now))

    async def request(self, method: str, params: Any, timeout: float = 600) -> tuple[Any, float]:
        """(result, seconds from send to the response's arrival)."""
        self.next_id += 1
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = fut
        t0 = time.perf_counter()
        self._write({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        result, at = await asyncio.wait_for(fut, timeout)
        return result, at - t0

    def notify(self, method: str, params: Any) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def wait_note(
        self, pred: Callable[[Note], bool], since: int = 0, timeout: float = 600
    ) -> tuple[Note, int]:
        """The first recorded notification from index ``since`` on matching ``pred``."""
        deadline = time.perf_counter() + timeout
        i = since
        while True:
            while i < len(self.notes):
                if pred(self.notes[i]):
                    return self.notes[i], i
                i += 1
            self.changed.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("notification not seen")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self.request("shutdown", None, timeout=60)
            self.notify("exit", None)
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        self.reader.cancel()


def mem_kb(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[k]


def is_exact(totals: dict[str, Any]) -> bool:
    ws = totals.get("workspace", {})
    return ws.get("files", 0) > 0 and ws.get("pendingFiles", 0) == 0


# --- one session --------------------------------------------------------------------------------


@dataclass
class Run:
    first: float = 0.0
    first_exact: bool = False
    first_nonempty: float = 0.0
    spawn_first: float = 0.0
    init: float = 0.0
    warm_spawn_first: float = 0.0
    warm_init: float = 0.0
    first_files: int = 0
    exact: float = 0.0
    files: int = 0
    tokens: int = 0
    lat: dict[str, list[float]] = field(default_factory=dict)
    idle: dict[str, list[float]] = field(default_factory=dict)
    slowest: list[tuple[float, float, str]] = field(default_factory=list)
    edits: list[float] = field(default_factory=list)
    rescans: list[float] = field(default_factory=list)
    rss: dict[str, int] = field(default_factory=dict)
    warm_first: float = 0.0
    warm_exact_at_first: bool = False
    warm_done: float = 0.0
    warm_rss: dict[str, int] = field(default_factory=dict)


#: ``initializationOptions`` sent to the daemon (``--settings``), e.g. ``{"counter": "tiktoken"}``.
INIT_OPTIONS: dict[str, Any] = {}


async def open_session(root: Path, cache_dir: Path, log: Path) -> tuple[LspClient, str, float]:
    spawned = time.perf_counter()
    client = await LspClient.start(cache_dir, log)
    client.spawned = spawned
    uri = root.as_uri()
    params = {
        "processId": os.getpid(),
        "rootUri": uri,
        "workspaceFolders": [{"uri": uri, "name": root.name}],
        "capabilities": {
            "window": {"workDoneProgress": True},
            "workspace": {
                "didChangeWatchedFiles": {"dynamicRegistration": True},
                "workspaceFolders": True,
            },
        },
        "initializationOptions": INIT_OPTIONS,
    }
    _, client.init_s = await client.request("initialize", params, timeout=120)
    t0 = time.perf_counter()
    client.notify("initialized", {})
    return client, uri, t0


async def wait_exact(client: LspClient, uri: str) -> Note:
    """The totals from which the whole workspace stayed exact, once the scan has ended.

    A throttled totals may already be exact before ``$/progress`` end arrives, and the final
    flush sends nothing new when nothing changed since: so look back over the notes rather
    than waiting for an exact one after the end.
    """
    while True:
        while client.progress_ended == 0:
            client.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(client.changed.wait(), 1.0)
        totals = [n for n in client.notes if n.method == TOTALS]
        if totals and is_exact(totals[-1].params):
            j = len(totals) - 1
            while j > 0 and is_exact(totals[j - 1].params):
                j -= 1
            stats, _ = await client.request("sourcepacker/stats", {"rootUri": uri})
            if not stats.get("scanning", False):
                return totals[j]
        client.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client.changed.wait(), 0.05)


async def probe(
    client: LspClient,
    uri: str,
    deep: str,
    check_dir: str,
    out: dict[str, list[float]],
    when: list[tuple[float, float, str]] | None = None,
    t0: float = 0.0,
) -> None:
    checked = False
    for name, method, params in (
        ("listFiles root", "sourcepacker/listFiles", {"rootUri": uri, "dir": ""}),
        ("listFiles deep", "sourcepacker/listFiles", {"rootUri": uri, "dir": deep}),
        ("setChecked", "sourcepacker/setChecked", None),
    ):
        if params is None:
            checked = not checked
            params = {"rootUri": uri, "paths": [check_dir], "checked": checked}
        sent = time.perf_counter()
        _, dt = await client.request(method, params)
        out.setdefault(name, []).append(dt)
        if when is not None:
            when.append((dt, sent - t0, name))
    await client.request(
        "sourcepacker/setChecked", {"rootUri": uri, "paths": [check_dir], "checked": False}
    )


async def bench_run(name: str, root: Path, run_no: int, edits: int, rescans: int) -> Run:
    r = Run()
    cache_dir = BENCH / "cache" / f"daemon-{name}-{run_no}"
    shutil.rmtree(cache_dir, ignore_errors=True)
    log = BENCH / "logs" / f"daemon-{name}-{run_no}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    deep, check_dir = DEEP_DIR[name], CHECK_DIR[name]

    # Cold: fresh cache.
    client, uri, t0 = await open_session(root, cache_dir, log)
    note, _ = await client.wait_note(lambda n: n.method == TOTALS)
    r.first = note.at - t0
    r.spawn_first = note.at - client.spawned
    r.init = client.init_s
    r.first_files = note.params["workspace"]["files"]
    note, _ = await client.wait_note(
        lambda n: n.method == TOTALS and n.params["workspace"]["files"] > 0
    )
    r.first_nonempty = note.at - t0

    stop = asyncio.Event()

    async def prober() -> None:
        while not stop.is_set():
            await probe(client, uri, deep, check_dir, r.lat, r.slowest, t0)
            await asyncio.sleep(0.02)

    probing = asyncio.get_running_loop().create_task(prober())
    note = await wait_exact(client, uri)
    stop.set()
    await probing
    r.exact = note.at - t0
    r.files = note.params["workspace"]["files"]
    r.tokens = note.params["workspace"]["tokens"]
    r.rss = mem_kb(client.proc.pid)

    for _ in range(10):
        await probe(client, uri, deep, check_dir, r.idle)

    # Edits: append a line, tell the daemon, wait for totals that reflect it.
    path = root / EDIT_FILE[name]
    original = path.read_bytes()
    try:
        for i in range(edits):
            await asyncio.sleep(
                0.35
            )  # past the 150 ms throttle: measure the path, not the throttle
            before = client.notes[-1].params if client.notes else None
            last = max((j for j, n in enumerate(client.notes) if n.method == TOTALS), default=-1)
            prev_exact = before["workspace"]["exact"] if before and "workspace" in before else None
            with path.open("ab") as f:
                f.write(f"edit_{run_no}_{i} = {i * 7919}  # benchmark edit\n".encode())
            t_edit = time.perf_counter()
            client.notify(
                "workspace/didChangeWatchedFiles",
                {"changes": [{"uri": path.as_uri(), "type": 2}]},
            )
            note, _ = await client.wait_note(
                lambda n, prev=prev_exact: (
                    n.method == TOTALS
                    and is_exact(n.params)
                    and n.params["workspace"]["exact"] != prev
                ),
                since=last + 1,
                timeout=30,
            )
            r.edits.append(note.at - t_edit)
    finally:
        path.write_bytes(original)
        client.notify(
            "workspace/didChangeWatchedFiles", {"changes": [{"uri": path.as_uri(), "type": 2}]}
        )
    await asyncio.sleep(0.5)

    for _ in range(rescans):
        _, dt = await client.request("sourcepacker/scan", {"rootUri": uri, "force": False})
        r.rescans.append(dt)
    r.rss = {**mem_kb(client.proc.pid), "VmRSS_after_scan": r.rss.get("VmRSS", 0)}
    await client.stop()

    # Warm restart on the persisted cache.
    client, uri, t0 = await open_session(root, cache_dir, log)
    note, _ = await client.wait_note(lambda n: n.method == TOTALS)
    r.warm_first = note.at - t0
    r.warm_spawn_first = note.at - client.spawned
    r.warm_init = client.init_s
    r.warm_exact_at_first = is_exact(note.params)
    note = await wait_exact(client, uri)
    r.warm_done = note.at - t0
    r.warm_rss = mem_kb(client.proc.pid)
    await client.stop()
    return r


async def pyspy_rescans(name: str, root: Path, out: Path, seconds: int) -> str:
    """Record the daemon with py-spy while it answers back-to-back no-change rescans."""
    cache_dir = BENCH / "cache" / f"daemon-{name}-0"  # warm from the runs when present
    log = BENCH / "logs" / f"daemon-{name}-pyspy.log"
    client, uri, _ = await open_session(root, cache_dir, log)
    await wait_exact(client, uri)
    pyspy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    raw = out.with_suffix(".txt")
    cmd = [
        pyspy,
        "record",
        "--nonblocking",
        "--pid",
        str(client.proc.pid),
        "-d",
        str(seconds),
        "-r",
        "200",
    ]
    svg = await asyncio.create_subprocess_exec(*cmd, "-o", str(out), stdout=subprocess.DEVNULL)
    txt = await asyncio.create_subprocess_exec(
        *cmd, "-f", "raw", "-o", str(raw), stdout=subprocess.DEVNULL
    )
    n = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        await client.request("sourcepacker/scan", {"rootUri": uri, "force": False})
        n += 1
    await svg.wait()
    await txt.wait()
    await client.stop()
    return f"{n} rescans in {seconds} s recorded: {out} and {raw}\n" + summarise_raw(raw)


async def pyspy_cold(name: str, root: Path, out: Path) -> str:
    """Record the daemon with py-spy (raw stacks) from ``initialized`` until all exact, cold."""
    import signal

    cache_dir = BENCH / "cache" / f"daemon-{name}-pyspy-cold"
    shutil.rmtree(cache_dir, ignore_errors=True)
    log = BENCH / "logs" / f"daemon-{name}-pyspy.log"
    client, uri, t0 = await open_session(root, cache_dir, log)
    pyspy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    cmd = [
        pyspy,
        "record",
        "--nonblocking",
        "--pid",
        str(client.proc.pid),
        "-r",
        "100",
        "-f",
        "raw",
    ]
    rec = await asyncio.create_subprocess_exec(
        *cmd, "-o", str(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    note = await wait_exact(client, uri)
    rec.send_signal(signal.SIGINT)
    await rec.wait()
    await client.stop()
    return f"cold scan, all exact after {note.at - t0:.2f} s under py-spy: {out}\n" + (
        summarise_raw(out)
    )


def summarise_raw(raw: Path, top: int = 12) -> str:
    """Top functions of a py-spy ``raw`` (collapsed stacks) file: self and inclusive share."""
    own: dict[str, int] = {}
    incl: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        count = int(n)
        total += count
        frames = []
        for f in stack.split(";")[1:]:  # the first frame names the process/thread
            func, _, where = f.partition(" (")
            frames.append(f"{func} ({where.split(':')[0].rsplit('/', 1)[-1]})")
        if not frames:
            continue
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for f in set(frames):
            incl[f] = incl.get(f, 0) + count
    if not total:
        return "py-spy: no samples"
    lines = [f"py-spy: {total} samples over all threads (idle threads not sampled)", "  self:"]
    for f, c in sorted(own.items(), key=lambda x: -x[1])[:top]:
        lines.append(f"    {c * 100 / total:5.1f}%  {f}")
    lines.append("  inclusive:")
    for f, c in sorted(incl.items(), key=lambda x: -x[1])[: top * 2]:
        lines.append(f"    {c * 100 / total:5.1f}%  {f}")
    return "\n".join(lines)


def summarise(name: str, root: Path, runs: list[Run]) -> dict[str, Any]:
    med = statistics.median
    lat: dict[str, list[float]] = {}
    idle: dict[str, list[float]] = {}
    for r in runs:
        for k, v in r.lat.items():
            lat.setdefault(k, []).extend(v)
        for k, v in r.idle.items():
            idle.setdefault(k, []).extend(v)
    return {
        "corpus": name,
        "root": str(root),
        "runs": len(runs),
        "files": runs[0].files,
        "tokens": runs[0].tokens,
        "first_totals_ms": med(r.first for r in runs) * 1e3,
        "first_totals_files": [r.first_files for r in runs],
        "initialize_ms": med(r.init for r in runs) * 1e3,
        "spawn_first_totals_ms": med(r.spawn_first for r in runs) * 1e3,
        "warm_initialize_ms": med(r.warm_init for r in runs) * 1e3,
        "warm_spawn_first_totals_ms": med(r.warm_spawn_first for r in runs) * 1e3,
        "first_estimate_ms": med(r.first_nonempty for r in runs) * 1e3,
        "all_exact_s": med(r.exact for r in runs),
        "latency_during_scan_ms": {
            k: {"n": len(v), "p50": pct(v, 50) * 1e3, "p99": pct(v, 99) * 1e3, "max": max(v) * 1e3}
            for k, v in lat.items()
        },
        "slowest_during_scan": [
            f"{name} {dt * 1e3:.0f} ms sent at t={at:.2f} s (exact at {r.exact:.2f} s)"
            for r in runs
            for dt, at, name in sorted(r.slowest, reverse=True)[:3]
        ],
        "latency_idle_ms": {
            k: {"n": len(v), "p50": pct(v, 50) * 1e3, "p99": pct(v, 99) * 1e3}
            for k, v in idle.items()
        },
        "edit_to_totals_ms": med(x for r in runs for x in r.edits) * 1e3,
        "edit_to_totals_all_ms": [round(x * 1e3, 1) for r in runs for x in r.edits],
        "rescan_s": med(x for r in runs for x in r.rescans),
        "rss_after_scan_mb": med(r.rss.get("VmRSS_after_scan", 0) for r in runs) / 1024,
        "rss_after_rescans_mb": med(r.rss.get("VmRSS", 0) for r in runs) / 1024,
        "hwm_mb": med(r.rss.get("VmHWM", 0) for r in runs) / 1024,
        "warm_first_totals_ms": med(r.warm_first for r in runs) * 1e3,
        "warm_exact_at_first": [r.warm_exact_at_first for r in runs],
        "warm_scan_done_s": med(r.warm_done for r in runs),
        "warm_rss_mb": med(r.warm_rss.get("VmRSS", 0) for r in runs) / 1024,
        "warm_hwm_mb": med(r.warm_rss.get("VmHWM", 0) for r in runs) / 1024,
    }


def print_summary(s: dict[str, Any]) -> None:
    def goal(ok: bool) -> str:
        return "ok " if ok else "MISS"

    print(
        f"\n== daemon · {s['corpus']} · {s['files']:,} files · {s['tokens']:,} tokens "
        f"· median of {s['runs']} runs =="
    )
    print(
        f"  [{goal(s['first_totals_ms'] < 200)}] initialized → first totals  "
        f"{s['first_totals_ms']:8.1f} ms   (goal < 200 ms; files in it: {s['first_totals_files']})"
    )
    print(
        f"  [    ] process spawn → first totals {s['spawn_first_totals_ms']:7.1f} ms   "
        f"(initialize request {s['initialize_ms']:.1f} ms; warm restart: spawn → first totals "
        f"{s['warm_spawn_first_totals_ms']:.1f} ms, initialize {s['warm_initialize_ms']:.1f} ms)"
    )
    print(
        f"  [{goal(s['first_estimate_ms'] < 200)}] initialized → first totals with files "
        f"{s['first_estimate_ms']:6.1f} ms   (the estimate after discovery)"
    )
    print(f"  [    ] initialized → all exact     {s['all_exact_s']:8.2f} s")
    for k, v in s["latency_during_scan_ms"].items():
        print(
            f"  [{goal(v['p99'] < 50)}] {k:15} during scan p50 {v['p50']:6.1f} ms  "
            f"p99 {v['p99']:6.1f} ms  max {v['max']:6.1f} ms  (n={v['n']}, goal p99 < 50 ms)"
        )
    print(f"         slowest: {s['slowest_during_scan']}")
    for k, v in s["latency_idle_ms"].items():
        print(f"  [    ] {k:15} idle        p50 {v['p50']:6.1f} ms  p99 {v['p99']:6.1f} ms")
    print(
        f"  [{goal(s['edit_to_totals_ms'] < 100)}] edit → updated totals      "
        f"{s['edit_to_totals_ms']:8.1f} ms   (goal < 100 ms; all: {s['edit_to_totals_all_ms']})"
    )
    print(
        f"  [{goal(s['rescan_s'] < 0.3)}] no-change rescan            {s['rescan_s']:8.3f} s    "
        "(goal < 0.3 s at 100k)"
    )
    print(
        f"  [{goal(s['rss_after_scan_mb'] < 300)}] RSS after scan             "
        f"{s['rss_after_scan_mb']:8.1f} MB   after rescans {s['rss_after_rescans_mb']:.1f} MB, "
        f"VmHWM {s['hwm_mb']:.1f} MB (goal < 300 MB)"
    )
    print(
        f"  [{goal(s['warm_first_totals_ms'] < 200)}] warm restart → first totals "
        f"{s['warm_first_totals_ms']:7.1f} ms   exact at once: {s['warm_exact_at_first']}; "
        f"verifying scan done {s['warm_scan_done_s']:.2f} s; RSS {s['warm_rss_mb']:.1f} MB, "
        f"VmHWM {s['warm_hwm_mb']:.1f} MB"
    )


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    out = []
    for name in [] if args.pyspy_only else args.corpus:
        root = corpus(name)
        runs = []
        for i in range(args.runs):
            print(f"[daemon] {name} run {i + 1}/{args.runs} …", file=sys.stderr, flush=True)
            runs.append(await bench_run(name, root, i, args.edits, args.rescans))
        s = summarise(name, root, runs)
        print_summary(s)
        sys.stdout.flush()
        out.append(s)
    if args.pyspy_cold:
        name = args.corpus[-1]
        print(await pyspy_cold(name, corpus(name), Path(args.pyspy_cold)))
    if args.pyspy:
        name = args.corpus[-1]
        print(await pyspy_rescans(name, corpus(name), Path(args.pyspy), args.pyspy_seconds))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", nargs="+", default=["gen10k", "stdlib", "gen100k"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--edits", type=int, default=7)
    ap.add_argument("--rescans", type=int, default=5)
    ap.add_argument("--json", type=Path, help="write the summaries as JSON")
    ap.add_argument("--pyspy", help="py-spy flame graph (SVG) of no-change rescans, last corpus")
    ap.add_argument("--pyspy-only", action="store_true", help="skip the runs, only profile")
    ap.add_argument("--pyspy-cold", help="py-spy raw stacks of a cold scan of the last corpus")
    ap.add_argument("--pyspy-seconds", type=int, default=10)
    ap.add_argument("--settings", default="{}", help='daemon settings, e.g. {"counter": "rs-bpe"}')
    args = ap.parse_args(argv)
    INIT_OPTIONS.update(json.loads(args.settings))
    print(f"load: {os.getloadavg()}  nproc: {os.cpu_count()}  settings: {INIT_OPTIONS}", flush=True)
    out = asyncio.run(main_async(args))
    print(f"load: {os.getloadavg()}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
