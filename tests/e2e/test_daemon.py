"""The daemon end to end, through pytest-lsp, as an editor would drive it."""

from __future__ import annotations

import asyncio
import json
import os
import select
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pygls.exceptions import JsonRpcException

from sourcepacker.vocab import counter

count = counter("o200k_base")
#: The ``start_daemon`` fixture (tests/e2e/conftest.py): root, options → a started Harness.
StartFn = Callable[..., Awaitable[Any]]


def cli_pack(root: Path, *paths: str) -> dict[str, object]:
    args = [str(root / p) for p in paths] if paths else [str(root)]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "sourcepacker",
            "pack",
            *args,
            "--root",
            str(root),
            "--json",
            "--cache-dir",
            str(root.parent / "cli-cache"),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


async def test_initialize_progress_and_totals_match_cli(start_daemon: StartFn, workspace: Path):
    ws = await start_daemon(workspace)
    totals = await ws.wait_exact()
    assert totals.workspace.files == 5  # 4 text files + .gitignore; png skipped, log ignored
    assert totals.workspace.tokens == totals.workspace.exact
    # progress begin ... end through the standard $/progress
    reports = list(ws.client.progress_reports.values())
    assert reports and reports[0][0].kind == "begin" and reports[0][-1].kind == "end"
    cli = cli_pack(workspace)
    assert sum(cli["files"].values()) == totals.workspace.tokens


async def test_set_checked_and_pack_is_exact(start_daemon: StartFn, workspace: Path):
    ws = await start_daemon(workspace)
    await ws.wait_exact()
    totals = await ws.request("sourcepacker/setChecked", paths=["src", "README.md"], checked=True)
    assert totals.selected.files == 3
    totals = await ws.request("sourcepacker/setChecked", paths=["src/pkg/util.py"], checked=False)
    assert totals.selected.files == 2
    listing = await ws.request("sourcepacker/listFiles", dir="src")
    states = {e.path: e.checked for e in listing.entries}
    assert states == {"src/pkg": "unchecked", "src/main.py": "checked"}
    root = await ws.request("sourcepacker/listFiles")
    assert {e.path: e.checked for e in root.entries}["src"] == "partial"
    packed = await ws.request("sourcepacker/pack", format="markdown")
    assert packed.fileCount == 2
    assert packed.tokens == count(packed.text)
    cli = cli_pack(workspace, "src/main.py", "README.md")
    assert cli["tokens"] == (await ws.request("sourcepacker/pack")).tokens


async def test_file_edit_retokenizes_one_file(start_daemon: StartFn, workspace: Path):
    ws = await start_daemon(workspace)
    before = await ws.wait_exact()
    target = workspace / "src" / "main.py"
    target.write_text(target.read_text() + "\n\ndef more():\n    return 'more tokens here'\n")
    stats0 = await ws.request("sourcepacker/stats")
    n = len(ws.totals)
    ws.client.workspace_did_change_watched_files(_watched(target.as_uri()))
    await ws.wait_for(
        lambda: len(ws.totals) > n and ws.totals[-1].workspace.tokens != before.workspace.tokens
    )
    after = await ws.wait_exact()
    stats1 = await ws.request("sourcepacker/stats")
    assert stats1.tokenized - stats0.tokenized == 1
    assert after.workspace.tokens > before.workspace.tokens


async def test_unsaved_buffer_counts_live(start_daemon: StartFn, workspace: Path):
    from lsprotocol import types

    ws = await start_daemon(workspace)
    before = await ws.wait_exact()
    uri = (workspace / "README.md").as_uri()
    ws.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="markdown", version=1, text="# Project\n")
        )
    )
    n = len(ws.totals)
    text = "# Project\n\n" + "many more words in the buffer " * 20
    ws.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=uri),
            [types.TextDocumentContentChangeWholeDocument(text)],
        )
    )
    await ws.wait_for(lambda: len(ws.totals) > n)
    assert ws.totals[-1].workspace.tokens == before.workspace.tokens - count("# Project\n") + count(
        text
    )
    await ws.request("sourcepacker/setChecked", paths=["README.md"], checked=True)
    packed = await ws.request("sourcepacker/pack")
    assert "many more words" in packed.text and packed.tokens == count(packed.text)


async def test_profiles_report_new_files(start_daemon: StartFn, workspace: Path):
    ws = await start_daemon(workspace)
    await ws.wait_exact()
    await ws.request("sourcepacker/setChecked", paths=["src"], checked=True)
    await ws.request("sourcepacker/profiles/save", name="backend")
    (workspace / "src" / "new_module.py").write_text("NEW = True\n")
    await ws.request("sourcepacker/scan")
    await ws.request("sourcepacker/setChecked", paths=[""], checked=False)
    loaded = await ws.request("sourcepacker/profiles/load", name="backend")
    assert loaded.newFiles == ["src/new_module.py"]
    assert loaded.totals.selected.files == 3
    listing = await ws.request("sourcepacker/listFiles", dir="src")
    assert [e.path for e in listing.entries if getattr(e, "isNew", False)] == ["src/new_module.py"]
    names = [p.name for p in (await ws.request("sourcepacker/profiles/list")).profiles]
    assert names == ["backend"]
    await ws.request("sourcepacker/profiles/delete", name="backend")
    assert (await ws.request("sourcepacker/profiles/list")).profiles == []


async def test_bad_requests_get_errors_and_server_keeps_serving(
    start_daemon: StartFn, workspace: Path, tmp_path: Path
):
    ws = await start_daemon(workspace)
    await ws.wait_exact()
    (tmp_path / "secret.txt").write_text("secret")
    (workspace / "escape").symlink_to(tmp_path)
    for method, params in [
        ("sourcepacker/listFiles", {"dir": "../"}),
        ("sourcepacker/listFiles", {"dir": "/etc"}),
        ("sourcepacker/pack", {"paths": ["escape/secret.txt"]}),
        ("sourcepacker/setChecked", {"paths": "not-a-list", "checked": True}),
        ("sourcepacker/setChecked", {"checked": True}),
        ("sourcepacker/listFiles", {"rootUri": "file:///nowhere"}),
        ("sourcepacker/noSuchMethod", {}),
        ("sourcepacker/pack", {"format": "yaml"}),
    ]:
        try:
            await ws.request(method, **params)
        except JsonRpcException:
            pass
        else:
            raise AssertionError(f"{method} {params} was accepted")
    listing = await ws.request("sourcepacker/listFiles")
    assert any(e.path == "src" for e in listing.entries)


async def test_restart_is_exact_from_cache(start_daemon: StartFn, workspace: Path):
    first = await start_daemon(workspace)
    totals = await first.wait_exact()
    await first.client.shutdown_session()
    second = await start_daemon(workspace)
    await second.wait_for(lambda: bool(second.totals))
    assert second.totals[0].workspace.tokens == totals.workspace.tokens
    assert second.totals[0].workspace.pendingFiles == 0
    await second.wait_exact()
    stats = await second.request("sourcepacker/stats")
    assert stats.tokenized == 0


def _watched(uri: str, kind: int = 2):
    from lsprotocol import types

    change = types.FileChangeType(kind)
    return types.DidChangeWatchedFilesParams([types.FileEvent(uri, change)])


async def test_with_a_watcher_a_rescan_trusts_events(start_daemon: StartFn, workspace: Path):
    ws = await start_daemon(workspace, watch=True)
    await ws.watching.wait()
    # The daemon registers its watcher before the first walk, so that walk is trusted.
    files = (await ws.wait_exact()).workspace.files
    assert (await ws.request("sourcepacker/scan")).files == files
    # A file no event told us about stays unseen by a plain rescan: it did not walk ...
    quiet = workspace / "src" / "quiet.py"
    quiet.write_text("QUIET = 1\n")
    assert (await ws.request("sourcepacker/scan")).files == files
    # ... and an event, or a forced scan, finds what changed.
    named = workspace / "docs" / "named.md"
    named.write_text("# Named by an event\n")
    ws.client.workspace_did_change_watched_files(_watched(named.as_uri(), kind=1))
    assert (await ws.request("sourcepacker/scan")).files == files + 1
    assert (await ws.request("sourcepacker/scan", force=True)).files == files + 2
    after = await ws.wait_exact(scans=1)
    expect = sum(count(p.read_text()) for p in (quiet, named))
    assert after.workspace.files == files + 2
    assert after.workspace.tokens == expect + sum(
        count((workspace / rel).read_text())
        for rel in ("src/main.py", "src/pkg/util.py", "docs/guide.md", "README.md", ".gitignore")
    )


async def test_cancel_scan_midway(start_daemon: StartFn, tmp_path: Path):
    from lsprotocol import types

    root = tmp_path / "big"
    for d in range(40):
        (root / f"d{d}").mkdir(parents=True)
        for f in range(60):
            body = "".join(f"def f{d}_{f}_{i}(x):\n    return x * {i} + {d}\n" for i in range(40))
            (root / f"d{d}" / f"m{f}.py").write_text(body)
    ws = await start_daemon(root, {"poolSize": 1})
    await ws.wait_for(lambda: any(ws.client.progress_reports.values()))  # the first "begin"
    token = next(iter(ws.client.progress_reports))
    ws.client.protocol.notify(
        types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token)
    )
    await ws.wait_for(lambda: ws.client.progress_reports[token][-1].kind == "end")
    stats = await ws.request("sourcepacker/stats")
    assert not stats.scanning
    assert ws.totals[-1].workspace.pendingFiles > 0  # stopped before converging
    # The server still works: an explicit scan finishes the job.
    result = await ws.request("sourcepacker/scan")
    assert not result.cancelled
    assert (await ws.wait_exact(scans=2)).workspace.files == 2400


async def test_invalid_settings_warn_and_fall_back(start_daemon: StartFn, workspace: Path):
    ws = await start_daemon(workspace, {"encoding": 5, "maxFileSize": -1, "format": "pdf"})
    totals = await ws.wait_exact()
    assert totals.encoding == "o200k_base"
    assert ws.client.messages, "each invalid setting gets a window/showMessage"
    warnings = [m.message for m in ws.client.messages]
    assert any("encoding" in m for m in warnings) and any("maxFileSize" in m for m in warnings)
    assert any("format" in m for m in warnings)


async def test_gitignore_edit_reevaluates_rules(start_daemon: StartFn, workspace: Path):
    ws = await start_daemon(workspace)
    before = await ws.wait_exact()
    gitignore = workspace / ".gitignore"
    gitignore.write_text("*.log\ndocs/\n")
    ws.client.workspace_did_change_watched_files(_watched(gitignore.as_uri()))
    after = await ws.wait_exact(scans=2)
    assert after.workspace.files == before.workspace.files - 1
    listing = await ws.request("sourcepacker/listFiles")
    assert "docs" not in {e.path for e in listing.entries}


async def test_multi_root_has_one_session_per_folder(
    start_daemon: StartFn, workspace: Path, tmp_path: Path
):
    from lsprotocol import types

    other = tmp_path / "other"
    other.mkdir()
    (other / "only.py").write_text("ONLY = 1\n")
    ws = await start_daemon(workspace)
    await ws.wait_exact()
    ws.client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(other.as_uri(), "other")], removed=[]
            )
        )
    )
    await ws.wait_for(
        lambda: any(t.rootUri == other.as_uri() and t.workspace.files == 1 for t in ws.totals)
    )
    listing = await ws.request("sourcepacker/listFiles", rootUri=other.as_uri())
    assert [e.path for e in listing.entries] == ["only.py"]


def _children(pid: int) -> set[int]:
    """Live processes whose parent is ``pid`` (from /proc: no psutil needed)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def _running(pid: int) -> bool:
    """Exists and is not a zombie (an exited orphan that this container's init never reaps)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_gone(pid: int) -> None:
    """Block until process ``pid`` (not our child) has exited."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        select.select([fd], [], [])
    finally:
        os.close(fd)


async def test_process_pool_leaves_no_child_behind(start_daemon: StartFn, workspace: Path):
    ws = await start_daemon(workspace, {"poolKind": "process", "poolSize": 2})
    totals = await ws.wait_exact()
    assert totals.workspace.files == 5
    server = ws.client._server
    workers = {
        pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[-80:]
        for pid in _children(server.pid)
    }
    assert workers, "the process pool should have started workers"
    await ws.client.shutdown_session()
    assert await server.wait() == 0
    # shutdown joins the pool's workers; multiprocessing's resource tracker exits when its pipe
    # closes. Wait for each to end (pidfd: woken by the exit itself, no polling, no deadline
    # but the test's own timeout), then none may be left running.
    loop = asyncio.get_running_loop()
    for pid in workers:
        await loop.run_in_executor(None, _wait_gone, pid)
    alive = {pid: cmd for pid, cmd in workers.items() if _running(pid)}
    assert not alive


async def test_encoding_unavailable_offline_falls_back(start_daemon: StartFn, workspace: Path):
    ws = await start_daemon(workspace, {"encoding": "no_such_encoding"})
    totals = await ws.wait_exact()
    assert totals.encoding == "o200k_base"
    assert any("no_such_encoding" in m.message for m in ws.client.messages)


async def test_set_pack_options_moves_the_prompt_figure(start_daemon: StartFn, workspace: Path):
    """The editor's status bar: the prompt figure follows the options it sets, before any copy."""
    ws = await start_daemon(workspace)
    await ws.wait_exact()
    await ws.request("sourcepacker/setChecked", paths=["src"], checked=True)
    options = {"format": "markdown", "tree": True, "instructions": "Review this.\n"}
    totals = await ws.request("sourcepacker/setPackOptions", **options)
    assert getattr(totals, "budget", None) is None  # omitted: equal to its default
    packed = await ws.request("sourcepacker/pack", **options)
    assert packed.tokens == count(packed.text)
    prompt = lambda: getattr(ws.totals[-1], "prompt", None) if ws.totals else None  # noqa: E731
    await ws.wait_for(lambda: prompt() == packed.tokens)
    totals = await ws.request("sourcepacker/setPackOptions", model="gpt-4")
    assert totals.budget == 8192
    plain = await ws.request("sourcepacker/pack", model="gpt-4")
    await ws.wait_for(lambda: prompt() == plain.tokens != packed.tokens)
    models = await ws.request("sourcepacker/models")
    assert {"name": "gpt-4", "window": 8192} in [
        {"name": m.name, "window": m.contextWindow} for m in models.models
    ]
    try:
        await ws.request("sourcepacker/setPackOptions", model="no-such-model")
        raise AssertionError("an unknown model must be refused")
    except JsonRpcException as exc:
        assert "model" in str(exc)


async def test_file_paths_and_changed_files(start_daemon: StartFn, workspace: Path):
    ws = await start_daemon(workspace)
    await ws.wait_exact()
    files = (await ws.request("sourcepacker/files")).files
    paths = [f.path for f in files]
    assert paths == sorted(paths) and "src/pkg/util.py" in paths
    listing = await ws.request("sourcepacker/listFiles", dir="src/pkg")
    assert {f.path: f.tokens for f in files}["src/pkg/util.py"] == listing.entries[0].tokens
    assert not any(p.endswith(".png") for p in paths)  # skipped files are not offered
    try:
        await ws.request("sourcepacker/changedFiles")
        raise AssertionError("not a git work tree: refused")
    except JsonRpcException as exc:
        assert "changed files" in str(exc)
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t", "-C", str(workspace)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    (workspace / "src" / "main.py").write_text("def main():\n    print('changed')\n")
    changed = (await ws.request("sourcepacker/changedFiles")).paths
    assert changed == ["src/main.py"]


def prompt_of(totals: Any) -> int | None:
    return getattr(totals, "prompt", None)  # omitted while it is being computed


async def test_pack_options_and_the_prompt_figure(start_daemon: StartFn, workspace: Path):
    """The status bar's prompt figure equals the tokens of what Copy (pack) produces."""
    (workspace / "src" / "keys.py").write_text('password = "hunter2hunter2Xq9"\n')
    ws = await start_daemon(workspace)
    await ws.wait_exact()
    await ws.request("sourcepacker/setChecked", paths=["src"], checked=True)
    await ws.wait_for(
        lambda: ws.totals[-1].selected.files == 3 and prompt_of(ws.totals[-1]) is not None
    )
    packed = await ws.request("sourcepacker/pack")
    assert packed.tokens == count(packed.text) == prompt_of(ws.totals[-1])
    assert [(r.path, r.kind) for r in packed.redactions] == [("src/keys.py", "password")]
    options = {
        "format": "json",
        "tree": True,
        "instructions": "Review this.",
        "transforms": ["compress", "line-numbers"],
        "model": "gpt-4o",
    }
    n = len(ws.totals)
    packed = await ws.request("sourcepacker/pack", **options)
    assert packed.tokens == count(packed.text)
    assert packed.budget.budget == 128_000 and packed.budget.used == packed.tokens
    await ws.wait_for(lambda: len(ws.totals) > n and prompt_of(ws.totals[-1]) == packed.tokens)
    assert ws.totals[-1].budget == 128_000
    parts = await ws.request("sourcepacker/pack", splitTokens=40, instructions="Go.")
    assert len(parts.parts) > 1
    assert all(p.tokens == count(p.text) <= 40 for p in parts.parts)


async def test_gitignore_above_a_subfolder_root_applies_and_reloads(
    start_daemon: StartFn, tmp_path: Path
):
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("secret.env\n")
    (repo / "src" / "app.py").write_text("print('hi')\n")
    (repo / "src" / "secret.env").write_text("KEY=1\n")
    (repo / "src" / "debug.log").write_text("noise\n")
    ws = await start_daemon(repo / "src")
    before = await ws.wait_exact()
    assert before.workspace.files == 2  # app.py and debug.log: secret.env is ignored above
    (repo / ".gitignore").write_text("secret.env\n*.log\n")
    ws.client.workspace_did_change_watched_files(_watched((repo / ".gitignore").as_uri()))
    await ws.wait_for(lambda: ws.totals[-1].workspace.files == 1)
    listing = await ws.request("sourcepacker/listFiles")
    assert [e.path for e in listing.entries] == ["app.py"]


async def test_without_a_client_watcher_the_daemon_watches(start_daemon: StartFn, workspace: Path):
    """A client that cannot watch files (Helix, a script): the daemon's own watcher feeds the
    rescans; the client sends no ``didChangeWatchedFiles`` at all."""
    (workspace / "node_modules").mkdir()
    ws = await start_daemon(workspace, can_watch=False)
    files = (await ws.wait_exact()).workspace.files
    stats = await ws.request("sourcepacker/stats")
    assert (stats.watcher, stats.lastWholeScan) == ("daemon", "walk")
    # No change: the rescan trusts the watcher and does not walk.
    assert (await ws.request("sourcepacker/scan")).files == files
    assert (await ws.request("sourcepacker/stats")).lastWholeScan == "events"
    # Edit one file, create one, delete one, on disk only: the totals follow.
    (workspace / "src" / "main.py").write_text("def main():\n    print('edited, longer now')\n")
    (workspace / "docs" / "new.md").write_text("# A new page\n")
    (workspace / "README.md").unlink()
    kept = ("src/main.py", "src/pkg/util.py", "docs/guide.md", "docs/new.md", ".gitignore")
    expect = sum(count((workspace / rel).read_text()) for rel in kept)

    def caught_up() -> bool:
        last = ws.totals[-1] if ws.totals else None
        return (
            last is not None
            and last.workspace.pendingFiles == 0
            and ((last.workspace.files, last.workspace.tokens) == (len(kept), expect))
        )

    await ws.wait_for(caught_up)
    # Written just before the request: the rescan still sees it (it waits for the watcher).
    (workspace / "src" / "late.py").write_text("LATE = 1\n")
    for i in range(20):  # churn in an ignored folder (filtered before the session)
        (workspace / "node_modules" / f"m{i}.js").write_text("x")
    assert (await ws.request("sourcepacker/scan")).files == len(kept) + 1
    stats = await ws.request("sourcepacker/stats")
    assert stats.lastWholeScan == "events" and stats.watcher == "daemon"


async def test_file_watcher_off_walks_every_rescan(start_daemon: StartFn, workspace: Path):
    ws = await start_daemon(workspace, {"fileWatcher": "off"}, can_watch=False)
    await ws.wait_exact()
    await ws.request("sourcepacker/scan")
    stats = await ws.request("sourcepacker/stats")
    assert (stats.watcher, stats.lastWholeScan) == ("none", "walk")


def inotify_limit(watches: int) -> tuple[str, ...]:
    """Runs the daemon in a user namespace of its own with this inotify limit (Linux counts
    watches per user namespace), so the machine's limit is untouched."""
    set_limit = f"echo {watches} > /proc/sys/user/max_inotify_watches"
    return ("unshare", "-Ur", "sh", "-c", set_limit + ' && exec "$@"', "sh")


ONE_INOTIFY_WATCH = inotify_limit(1)


def _can_limit_inotify() -> bool:
    try:
        cmd = [*ONE_INOTIFY_WATCH, "true"]
        return subprocess.run(cmd, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


async def test_past_the_inotify_limit_one_line_and_walks(start_daemon: StartFn, workspace: Path):
    import pytest

    if not _can_limit_inotify():
        pytest.skip("no user namespaces here (unshare -Ur)")
    ws = await start_daemon(workspace, can_watch=False, prefix=ONE_INOTIFY_WATCH)
    totals = await ws.wait_exact()
    assert totals.workspace.files == 5
    stats = await ws.request("sourcepacker/stats")
    assert (stats.watcher, stats.lastWholeScan) == ("none", "walk")
    (workspace / "docs" / "new.md").write_text("# New\n")
    assert (await ws.request("sourcepacker/scan")).files == 6  # a walk finds it
    logs = [m.message for m in ws.client.log_messages]
    limit = [m for m in logs if "for changes" in m]
    assert len(limit) == 1 and "\n" not in limit[0] and "Traceback" not in limit[0]
    assert "OS file watch limit reached" in limit[0] and "max_user_watches" in limit[0]


async def test_the_daemon_watcher_restarts_and_walks_after_a_failure(
    start_daemon: StartFn, workspace: Path
):
    """watchfiles fails on a name that is not UTF-8: the watcher restarts and the daemon walks
    by itself, so the file is counted without any request."""
    ws = await start_daemon(workspace, can_watch=False)
    files = (await ws.wait_exact()).workspace.files
    with open(os.path.join(os.fsencode(workspace), b"caf\xe9.txt"), "wb") as f:
        f.write(b"bonjour\n")
    await ws.wait_for(
        lambda: (
            bool(ws.totals)
            and ws.totals[-1].workspace.files == files + 1
            and ws.totals[-1].workspace.pendingFiles == 0
        )
    )
    stats = await ws.request("sourcepacker/stats")
    assert stats.watcher == "daemon"  # live again
    logs = [m.message for m in ws.client.log_messages]
    assert any("restarting it" in m for m in logs)


async def test_a_new_folder_past_the_inotify_limit_stops_trusting(
    start_daemon: StartFn, workspace: Path
):
    """watchfiles adds no watch for it and says nothing; the daemon finds out (/proc) and the
    rescan walks instead of trusting events that will never come."""
    import pytest

    if not _can_limit_inotify():
        pytest.skip("no user namespaces here (unshare -Ur)")
    dirs = 4  # ws, src, src/pkg, docs: exactly the limit
    ws = await start_daemon(workspace, can_watch=False, prefix=inotify_limit(dirs))
    files = (await ws.wait_exact()).workspace.files
    assert (await ws.request("sourcepacker/stats")).watcher == "daemon"
    (workspace / "new").mkdir()
    (workspace / "new" / "page.md").write_text("# Unwatched folder\n")
    assert (await ws.request("sourcepacker/scan")).files == files + 1
    stats = await ws.request("sourcepacker/stats")
    assert (stats.watcher, stats.lastWholeScan) == ("none", "walk")
    logs = [m.message for m in ws.client.log_messages]
    assert any("no watch for the new folder" in m for m in logs)
