"""What the stdio frame parser (daemon/stdio.py) costs per message, in CPU seconds.

    python tests/bench/bench_stdio.py

Cases: many small requests (what a tree view sends), one 2 MiB ``didChange`` body in compact
JSON (VS Code, pygls: no raw LF, so the too-big check is one memchr) and the same body
pretty-printed (raw LFs: the check runs the header regex over the body).
"""

from __future__ import annotations

import json
import os
import time

from sourcepacker.daemon.stdio import FrameParser


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def parse(data: bytes, chunk: int = 1 << 16) -> tuple[int, float]:
    parser = FrameParser()
    frames = 0
    start = time.process_time()
    for i in range(0, len(data), chunk):
        parser.feed(data[i : i + chunk])
        while parser.next_event() is not None:
            frames += 1
    return frames, time.process_time() - start


def best(data: bytes, runs: int = 5) -> tuple[int, float]:
    results = [parse(data) for _ in range(runs)]
    return results[0][0], min(seconds for _, seconds in results)


def main() -> None:
    print(f"load average: {os.getloadavg()[0]:.1f}")
    small = b"".join(
        frame(json.dumps({"jsonrpc": "2.0", "id": i, "method": "sourcepacker/listFiles",
                          "params": {"rootUri": "file:///w", "dir": f"src/d{i}"}}).encode())
        for i in range(10_000)
    )  # fmt: skip
    text = "def f(x):\n    return x * 2  # ünïcode\n" * 50_000
    change = {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"text": text}}
    pretty = json.dumps({"lines": text.splitlines()}, indent=1).encode()
    cases = {
        "10,000 small requests": small,
        "2 MiB body, compact JSON": frame(json.dumps(change).encode()),
        "2 MiB body, pretty JSON": frame(pretty),
    }
    for name, data in cases.items():
        frames, seconds = best(data)
        rate = len(data) / seconds / 1e6 if seconds else float("inf")
        print(f"{name:28} {frames:6} frames {len(data) / 1e6:6.2f} MB "
              f"{seconds * 1e3:8.2f} CPU-ms  {rate:7.0f} MB/s")  # fmt: skip


if __name__ == "__main__":
    main()
