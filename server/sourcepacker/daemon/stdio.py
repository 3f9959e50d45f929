"""The daemon's stdio transport: LSP base-protocol framing that survives a malformed frame.

pygls 2.1's stdio loop (``pygls.io_.run_async``) accepts only ``Content-Length: N\\r\\n`` spelled
exactly so: a lowercase header, LF-only line ends, a negative or non-numeric length or a missing
header make it skip every later message (each body is read as a header line, swallowing the next
real header). A wrong length desynchronises it the same way. The process stays up, deaf. This
module replaces that loop and keeps pygls for everything else (protocol, handlers, writer).

Framing rules (``FrameParser``, no I/O, tested on byte streams):

- Header lines end in CRLF or LF; names are case-insensitive (as in HTTP); ``Content-Type`` and
  other headers are ignored; empty lines between frames are skipped.
- A framing error (a line that is not ``name: value``, no ``Content-Length``, a length that is
  not a decimal integer, two different lengths) is logged and the parser **resynchronises**: it
  drops bytes up to the next ``Content-Length: N`` line, searched anywhere (after a too-short
  length the rest of the old body sits on the same line as the next header).
- A body that is not JSON gets a JSON-RPC Parse error (-32700, ``id: null``); the parser then
  looks for the next header *from the start of that body*, so a length a few bytes too long,
  whose body swallowed the start of the next header, loses no following message.
- **Too-big lengths.** Waiting for bytes that never come would make the daemon deaf, so the
  body read so far is searched for a ``Content-Length: N`` line as it arrives. Valid JSON can
  never contain one (a raw LF cannot sit inside a JSON string, and outside strings the text
  ``Content-Length:`` is not JSON), so a match proves the length wrong: the partial body is
  reported as a framing error and reading resumes at that header, without waiting on a clock.
  We chose this over a read timeout: a timeout cannot tell a stalled client from a slow one
  (a suspended editor, a 2 MiB ``didOpen`` through a 64 KiB pipe), and the only thing it could
  do sooner is send an error with ``id: null``, which the client cannot match to its request.
  Until the client sends its next message there is nothing to answer.

The search is only run from the first raw LF of a body: compact JSON (what VS Code and pygls
send) has none, so the check costs one ``memchr`` (0.15 ms per 2 MiB; the regex alone: 45 ms).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter

if TYPE_CHECKING:
    from pygls.server import JsonRPCServer

log = logging.getLogger(__name__)

#: A ``Content-Length`` header line, wherever it starts: the resynchronisation target.
CONTENT_LENGTH_LINE = re.compile(rb"content-length:[ \t]*(\d+)[ \t]*\r?\n", re.IGNORECASE)
#: ``name: value`` with an HTTP token as the name (RFC 9110 section 5.6.2).
HEADER_LINE = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*")
#: Real headers are ~80 bytes; a block this long without its empty line is not a header.
MAX_HEADER_BYTES = 8192
#: What may remain of a header cut by the end of the bytes received so far; kept while resyncing.
HEADER_TAIL = 256
#: Bigger than any message an editor sends (VS Code does not sync files over 50 MB); bounds memory.
MAX_BODY_BYTES = 256 << 20
READ_CHUNK = 1 << 16
PARSE_ERROR = -32700


@dataclass(frozen=True)
class Frame:
    body: bytes


@dataclass(frozen=True)
class FramingError:
    reason: str


class FrameParser:
    """Cuts a byte stream into frame bodies; ``feed`` bytes, then take ``next_event`` until None."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0  # first byte not consumed yet
        self._length: int | None = None  # the declared body length, while reading a body
        self._scanned = 0  # how far the current body has been searched for a header
        self._resync = False
        self._skipped = 0  # bytes dropped by the current resynchronisation
        self._last_body: int | None = None  # where the last Frame's body started, for reject()

    def feed(self, data: bytes) -> None:
        del self._buf[: self._pos]
        self._scanned -= self._pos
        self._pos = 0
        self._last_body = None
        self._buf += data

    def next_event(self) -> Frame | FramingError | None:
        """The next complete frame or framing error, or None until more bytes are fed."""
        if self._resync and not self._find_header():
            return None
        if self._length is None:
            return self._read_headers()
        return self._read_body(self._length)

    def reject(self) -> None:
        """The last frame's body was not JSON: its length may be wrong, so resync from its start."""
        if self._last_body is not None:
            self._pos, self._last_body = self._last_body, None
            self._resync = True

    def pending(self) -> bytes:
        """What was received but not consumed (at end of input: a frame cut short)."""
        return bytes(self._buf[self._pos :])

    def _fail(self, reason: str, resume_at: int) -> FramingError:
        self._pos, self._length, self._resync = resume_at, None, True
        return FramingError(reason)

    def _find_header(self) -> bool:
        match = CONTENT_LENGTH_LINE.search(self._buf, self._pos)
        if match is None:
            keep = max(self._pos, len(self._buf) - HEADER_TAIL)
            self._skipped += keep - self._pos
            self._pos = keep
            return False
        self._skipped += match.start() - self._pos
        if self._skipped:
            log.warning("skipped %d bytes up to the next Content-Length header", self._skipped)
        self._pos, self._resync, self._skipped = match.start(), False, 0
        return True

    def _read_headers(self) -> Frame | FramingError | None:
        buf, pos = self._buf, self._pos
        length: int | None = None
        seen_header = False
        while True:
            eol = buf.find(b"\n", pos)
            if eol < 0:
                if len(buf) - self._pos > MAX_HEADER_BYTES:
                    return self._fail("no end of headers in 8 KiB", self._pos + 1)
                return None
            line = bytes(buf[pos : eol - 1 if eol > pos and buf[eol - 1] == 0x0D else eol])
            line_start, pos = pos, eol + 1
            if not line:
                if not seen_header:  # a stray empty line between frames
                    self._pos = pos
                    continue
                break
            seen_header = True
            header = HEADER_LINE.fullmatch(line)
            if header is None:
                return self._fail(f"not a header line: {line[:60]!r}", line_start + 1)
            if header[1].lower() != b"content-length":
                continue
            if not header[2].isdigit():
                return self._fail(f"Content-Length is not a number: {header[2][:30]!r}", pos)
            if length is not None and length != int(header[2]):
                return self._fail("two different Content-Length headers", pos)
            length = int(header[2])
        if length is None:
            return self._fail("headers without Content-Length", pos)
        if length > MAX_BODY_BYTES:
            return self._fail(f"Content-Length {length} is over {MAX_BODY_BYTES} bytes", pos)
        self._pos, self._length, self._scanned = pos, length, pos
        return self._read_body(length)

    def _read_body(self, length: int) -> Frame | FramingError | None:
        start, end = self._pos, self._pos + length
        available = min(end, len(self._buf))
        # A header line inside the body proves the length too big (see the module docstring).
        first_lf = self._buf.find(b"\n", max(start, self._scanned - HEADER_TAIL), available)
        if first_lf >= 0:
            from_ = max(start, self._scanned - HEADER_TAIL, first_lf - HEADER_TAIL)
            header = CONTENT_LENGTH_LINE.search(self._buf, from_, available)
            if header is not None:
                got = header.start() - start
                reason = f"Content-Length {length} but the next header came after {got} bytes"
                return self._fail(reason, header.start())
        self._scanned = available
        if available < end:
            return None
        self._pos, self._length, self._last_body = end, None, start
        return Frame(bytes(self._buf[start:end]))


def _error(server: JsonRPCServer, code: int, message: str, msg_id: Any = None) -> None:
    # lsprotocol's converter drops ``id: None``, but JSON-RPC wants ``"id": null`` spelled out.
    if not isinstance(msg_id, int | str):
        msg_id = None
    error = {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}
    server.protocol._send_data(error)


def _handle(server: JsonRPCServer, parser: FrameParser, frame: Frame) -> None:
    protocol = server.protocol
    try:
        message = json.loads(frame.body, object_hook=protocol.structure_message)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        log.error("a message is not JSON (%s): %r", exc, frame.body[:80])
        _error(server, PARSE_ERROR, f"Parse error: {exc}")
        parser.reject()
        return
    except Exception as exc:  # bad params: a request has had its error answer already
        log.warning("could not read a message: %s", exc)
        return
    if not hasattr(message, "jsonrpc"):  # JSON, but an array, a number or a plain object
        msg_id = message.get("id") if isinstance(message, dict) else None
        _error(server, -32600, "Invalid Request: not a JSON-RPC message", msg_id)
        return
    try:
        protocol.handle_message(message)
    except Exception as exc:
        log.exception("could not handle a message")
        server._report_server_error(exc, JsonRpcException)


async def run_stdio(server: JsonRPCServer, stdin: BinaryIO) -> None:
    """Read frames from ``stdin`` and hand them to ``server.protocol`` until EOF or shutdown."""
    loop = asyncio.get_running_loop()
    chunks: asyncio.Queue[bytes] = asyncio.Queue()

    def read_forever() -> None:
        # os.read, not the buffered object: a daemon thread blocked inside BufferedReader
        # holds its lock, and interpreter shutdown then aborts trying to take it.
        fd = stdin.fileno()
        while True:
            try:
                data = os.read(fd, READ_CHUNK)
            except OSError:
                data = b""
            try:
                loop.call_soon_threadsafe(chunks.put_nowait, data)
            except RuntimeError:  # the loop has closed (after ``exit``): nobody is listening
                return
            if not data:
                return

    # A daemon thread of its own: never blocks exit, never takes a worker of pygls's pool.
    threading.Thread(target=read_forever, name="sp-stdin", daemon=True).start()
    parser = FrameParser()
    stop = server._stop_event
    while stop is None or not stop.is_set():
        data = await chunks.get()
        if not data:
            rest = parser.pending().strip()
            if rest:
                log.error("input ended inside a frame (%d bytes dropped)", len(rest))
            return
        parser.feed(data)
        while (event := parser.next_event()) is not None:
            if isinstance(event, FramingError):
                log.error("framing error: %s; resynchronising on the next header", event.reason)
                _error(server, PARSE_ERROR, f"Parse error: framing: {event.reason}")
            else:
                _handle(server, parser, event)


def start_stdio(server: JsonRPCServer, stdin: BinaryIO, stdout: BinaryIO) -> int:
    """``server.start_io`` with our reader; the exit status the ``exit`` notification chose."""
    server._stop_event = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout))
    status = 0
    try:
        asyncio.run(run_stdio(server, stdin))
    except BrokenPipeError:
        log.error("the client closed its end of the pipe; shutting down")
    except SystemExit as exc:  # pygls's exit handler: 0 after shutdown, 1 without
        status = exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]
    return status
