"""A real LSP client (pytest-lsp) against the real ``python -m sourcepacker serve`` subprocess."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

Predicate = Callable[[], bool]


class Harness:
    """One daemon session: requests, recorded notifications, and waiting on conditions."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.uri = root.as_uri()
        self.totals: list[Any] = []
        self.file_tokens: list[Any] = []
        self.tree_changed: list[Any] = []
        self.changed = asyncio.Event()
        #: Set when the daemon registered its file watcher with us (``watch=True``).
        self.watching = asyncio.Event()
        for method, store in (
            ("sourcepacker/totals", self.totals),
            ("sourcepacker/fileTokens", self.file_tokens),
            ("sourcepacker/treeChanged", self.tree_changed),
        ):
            client.feature(method)(self._recorder(store))

    def _recorder(self, store: list[Any]) -> Callable[[Any, Any], None]:
        def record(*args: Any) -> None:
            store.append(args[-1])
            self.changed.set()

        return record

    async def request(self, method: str, **params: Any) -> Any:
        params.setdefault("rootUri", self.uri)
        return await self.client.protocol.send_request_async(method, params)

    async def wait_for(self, predicate: Predicate) -> None:
        """Wait until ``predicate`` holds, re-checking after each notification (no polling).

        No deadline of its own: the test's overall timeout (pytest-timeout) is the only one.
        """
        while True:
            self.changed.clear()
            if predicate():
                return
            await self.changed.wait()

    async def wait_exact(self, scans: int = 1) -> Any:
        """The totals after ``scans`` scans have finished and nothing is pending.

        Checked again after each notification: every scan ends with a final ``totals``
        notification (sent after the scan's figures are counted), so no poll is needed.
        """
        while True:
            self.changed.clear()
            stats = await self.request("sourcepacker/stats")
            last = self.totals[-1] if self.totals else None
            if (
                stats.scans >= scans
                and not stats.scanning
                and last is not None
                and last.workspace.pendingFiles == 0
            ):
                return last
            await self.changed.wait()


StartFn = Callable[..., Awaitable[Harness]]


@pytest_asyncio.fixture
async def start_daemon(tmp_path: Path) -> AsyncIterator[StartFn]:
    clients: list[LanguageClient] = []
    cache_root = tmp_path / "cache"

    async def start(
        root: Path,
        options: dict[str, Any] | None = None,
        *,
        watch: bool = False,
        can_watch: bool = True,
        prefix: tuple[str, ...] = (),
    ) -> Harness:
        """``watch``: accept the daemon's ``didChangeWatchedFiles`` registration, as VS Code
        does (pytest-lsp alone refuses it, so by default the daemon uses its own watcher).
        ``can_watch=False``: declare no watching at all, like Helix or a script. ``prefix``: a
        command that runs the daemon (``unshare ...``)."""
        env = dict(os.environ, SOURCEPACKER_CACHE_DIR=str(cache_root))
        config = ClientServerConfig(
            server_command=[*prefix, sys.executable, "-m", "sourcepacker", "serve"],
            server_env=env,
        )
        client = await config.start()
        assert isinstance(client, LanguageClient)
        clients.append(client)
        harness = Harness(client, root)
        if watch:

            @client.feature(types.CLIENT_REGISTER_CAPABILITY)
            def registered(*_args: Any) -> None:
                harness.watching.set()

        capabilities = client_capabilities("visual-studio-code")
        if not can_watch and capabilities.workspace is not None:
            capabilities.workspace.did_change_watched_files = None
        await client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities,
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
                initialization_options=options or {},
            )
        )
        return harness

    yield start
    for client in clients:
        try:
            await asyncio.wait_for(client.shutdown_session(), 20)
        except Exception:  # a test that stopped its daemon itself
            pass


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "src" / "main.py").write_text("def main():\n    print('hello')\n")
    (root / "src" / "pkg" / "util.py").write_text("X = 1\n\n\ndef util(a, b):\n    return a + b\n")
    (root / "docs" / "guide.md").write_text("# Guide\n\nSome words about the tool.\n")
    (root / "README.md").write_text("# Project\n")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0")
    (root / ".gitignore").write_text("*.log\n")
    (root / "debug.log").write_text("ignored\n")
    return root
