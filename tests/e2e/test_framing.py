"""The real daemon (``python -m sourcepacker serve``) spoken to in raw bytes: after any malformed
frame it must still answer, or have exited non-zero (VS Code restarts a server that exits)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

#: A cap for a lost answer to fail the test instead of hanging it; never a figure being tested.
PATIENCE = 60.0


def frame(data: bytes, header: str = "Content-Length: {n}\r\n\r\n") -> bytes:
    return header.format(n=len(data)).encode() + data


def request(n: int, method: str, params: Any = None) -> bytes:
    msg = {"jsonrpc": "2.0", "id": n, "method": method, "params": {} if params is None else params}
    return json.dumps(msg).encode()


class RawDaemon:
    """The daemon as a subprocess; a thread cuts its stdout into messages (pygls writes them
    canonically: ``Content-Length: N\\r\\n``, other headers, an empty line, the body)."""

    def __init__(self, tmp_path: Path) -> None:
        env = dict(os.environ, SOURCEPACKER_CACHE_DIR=str(tmp_path / "cache"))
        self.stderr_path = tmp_path / f"stderr-{len(list(tmp_path.glob('stderr-*')))}.log"
        with self.stderr_path.open("wb") as stderr:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sourcepacker", "serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
            )
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.responses: dict[Any, dict[str, Any]] = {}  # by id, as they arrived
        self.exited = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while (line := out.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line or length is None:
                self.messages.put(None)  # the daemon closed stdout: it exited
                return
            self.messages.put(json.loads(out.read(length)))

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def response(self, msg_id: int | None) -> dict[str, Any] | None:
        """The response with this id, or None once the daemon has exited."""
        while msg_id not in self.responses and not self.exited:
            msg = self.messages.get(timeout=PATIENCE)
            if msg is None:
                self.exited = True
            elif "method" not in msg:
                self.responses[msg.get("id")] = msg
        return self.responses.pop(msg_id, None)

    def answers_or_exited(self, msg_id: int) -> bool:
        """True when the request was answered; False when the daemon exited non-zero."""
        if self.response(msg_id) is not None:
            return True
        assert self.proc.wait(PATIENCE) != 0, "exited with status 0 after a framing error"
        return False

    def close(self) -> int:
        if self.proc.poll() is None:
            try:
                self.send(frame(request(900, "shutdown")))
                self.response(900)
                self.send(frame(b'{"jsonrpc": "2.0", "method": "exit"}'))
            except (BrokenPipeError, queue.Empty):
                self.proc.kill()
        return self.proc.wait(PATIENCE)


@pytest.fixture
def start(tmp_path: Path) -> Any:
    """Starts daemons (a test may need a new one after a daemon exits); stops them at the end."""
    daemons: list[RawDaemon] = []

    def start_one() -> RawDaemon:
        daemons.append(RawDaemon(tmp_path))
        return daemons[-1]

    yield start_one
    for d in daemons:
        if d.proc.poll() is None:
            d.proc.kill()
        d.proc.wait()
        d.reader.join(PATIENCE)  # stdout has ended with the process
        for pipe in (d.proc.stdin, d.proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except BrokenPipeError:
                pass


INIT = request(1, "initialize", {"capabilities": {}})
MALFORMED = {
    "too big": frame(INIT, "Content-Length: 100000\r\n\r\n"),
    "too big by three": frame(INIT, f"Content-Length: {len(INIT) + 3}\r\n\r\n"),
    "too small": frame(INIT, "Content-Length: 20\r\n\r\n"),
    "negative": frame(INIT, "Content-Length: -5\r\n\r\n"),
    "not a number": frame(INIT, "Content-Length: twelve\r\n\r\n"),
    "missing header": INIT,
    "only Content-Type": frame(INIT, "Content-Type: application/vscode-jsonrpc\r\n\r\n"),
    "not JSON": frame(b"{not json"),
    "empty body": frame(b""),
    # framed and JSON, but not a request the daemon can read: it must keep serving
    "a JSON array": frame(b"[1, 2]"),
    "a method that is not a string": frame(b'{"jsonrpc": "2.0", "id": 5, "method": ["x"]}'),
    "params not an object": frame(request(6, "sourcepacker/pack", [1])),
}
#: Not malformed at all, but what pygls 2.1 alone could not read.
LENIENT = {
    "lowercase header": "content-length: {n}\r\n\r\n",
    "LF line ends": "Content-Length: {n}\n\n",
    "both": "CONTENT-length:{n}\ncontent-type: application/vscode-jsonrpc; charset=utf-8\n\n",
}


def test_each_malformed_frame_is_followed_by_an_answer(start: Any) -> None:
    # One daemon for all kinds (a daemon start costs ~3 s here); a new one if a kind ends it.
    daemon = start()
    for n, (kind, bad) in enumerate(MALFORMED.items(), start=10):
        daemon.send(bad)
        daemon.send(frame(request(n, "initialize", {"capabilities": {}})))
        daemon.send(frame(request(n + 100, "sourcepacker/stats")))
        if daemon.answers_or_exited(n + 100):
            assert daemon.response(n) is not None, kind
        else:
            daemon = start()
    assert daemon.close() == 0


def test_header_spellings_pygls_rejected_are_read(start: Any) -> None:
    daemon = start()
    for n, spelling in enumerate(LENIENT.values(), start=1):
        daemon.send(frame(request(n, "initialize", {"capabilities": {}}), spelling))
        answer = daemon.response(n)
        assert answer is not None and "capabilities" in answer["result"]
    assert daemon.close() == 0


def test_a_body_that_is_not_json_gets_a_parse_error(start: Any) -> None:
    daemon = start()
    daemon.send(frame(b'{"jsonrpc": "2.0", "id": 7, "method": '))
    error = daemon.response(None)
    assert error is not None and error["error"]["code"] == -32700
    daemon.send(frame(request(8, "sourcepacker/stats")))
    assert daemon.answers_or_exited(8)


def test_exit_without_shutdown_is_status_1(start: Any) -> None:
    daemon = start()
    daemon.send(frame(INIT))
    assert daemon.response(1) is not None
    daemon.send(frame(b'{"jsonrpc": "2.0", "method": "exit"}'))
    assert daemon.proc.wait(PATIENCE) == 1


def test_params_of_a_wrong_type_are_refused_naming_the_field(start: Any) -> None:
    # Before: ``dir: 12345`` became "12345" and the answer was an empty list.
    daemon = start()
    daemon.send(frame(INIT))
    assert daemon.response(1) is not None
    daemon.send(frame(request(2, "sourcepacker/listFiles", {"rootUri": "file:///w", "dir": 12345})))
    answer = daemon.response(2)
    assert answer is not None and answer["error"] == {
        "code": -32602,
        "message": "invalid params for sourcepacker/listFiles: dir: expected a string, got 12345",
    }
    daemon.send(frame(request(3, "sourcepacker/stats")))  # params omitted: allowed
    assert daemon.answers_or_exited(3)
    assert daemon.close() == 0
    log = daemon.stderr_path.read_text()
    assert "Unable to deserialize message" in log and "Traceback" not in log  # one line each
