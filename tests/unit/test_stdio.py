"""The stdio frame parser on byte streams: valid frames in any chunking, and recovery after
every kind of malformed frame (daemon/stdio.py)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sourcepacker.daemon.stdio import Frame, FrameParser, FramingError


def body(n: int, **extra: Any) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": n, "method": "sourcepacker/stats", **extra}).encode()


def frame(data: bytes, header: str = "Content-Length: {n}\r\n\r\n") -> bytes:
    return header.format(n=len(data)).encode() + data


def run(chunks: list[bytes]) -> tuple[list[bytes], list[str]]:
    """Feed the chunks as the daemon does: a body that is not JSON is rejected."""
    parser = FrameParser()
    bodies: list[bytes] = []
    errors: list[str] = []
    for chunk in chunks:
        parser.feed(chunk)
        while (event := parser.next_event()) is not None:
            if isinstance(event, FramingError):
                errors.append(event.reason)
                continue
            assert isinstance(event, Frame)
            try:
                json.loads(event.body)
            except ValueError:
                errors.append("not JSON")
                parser.reject()
            else:
                bodies.append(event.body)
    return bodies, errors


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


GOOD = [body(10), body(11, params={"text": "Content-Length: 5\r\n\r\n{}"}), body(12)]
STREAM_OF_GOOD = b"".join(frame(b) for b in GOOD)
BAD = body(1, params={"text": "é" * 10})
MALFORMED = {
    "too small": frame(BAD, "Content-Length: 30\r\n\r\n"),
    "too small by one": frame(BAD, f"Content-Length: {len(BAD) - 1}\r\n\r\n"),
    "too big by three": frame(BAD, f"Content-Length: {len(BAD) + 3}\r\n\r\n"),
    "too big": frame(BAD, "Content-Length: 100000\r\n\r\n"),
    "negative": frame(BAD, "Content-Length: -5\r\n\r\n"),
    "not a number": frame(BAD, "Content-Length: abc\r\n\r\n"),
    "missing header": BAD,
    "only Content-Type": frame(BAD, "Content-Type: application/json\r\n\r\n"),
    "not a header line": frame(BAD, "Content-Length: {n}\r\nwhat is this\r\n\r\n"),
    "two lengths": frame(BAD, "Content-Length: {n}\r\nContent-Length: 3\r\n\r\n"),
    "not JSON": frame(b"{this is not json}"),
    "not UTF-8": frame(b'{"a": "\xff"}'),
    "empty body": frame(b""),
    "garbage": b"\x00\x01 random bytes\r\n\r\n",
}


@pytest.mark.parametrize(
    "spelling",
    [
        "content-length: {n}\r\n\r\n",
        "Content-Length: {n}\n\n",
        "CONTENT-LENGTH:{n}\r\n\n",
        "Content-Length:  {n} \r\ncontent-type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n",
        "\r\n\nContent-Length: {n}\r\n\r\n",
    ],
)
def test_header_spellings_are_accepted(spelling: str) -> None:
    data = frame(body(1), spelling) + STREAM_OF_GOOD
    assert run([data]) == ([body(1), *GOOD], [])


@pytest.mark.parametrize("kind", MALFORMED)
def test_every_frame_after_a_malformed_one_is_read(kind: str) -> None:
    bodies, errors = run([MALFORMED[kind] + STREAM_OF_GOOD])
    assert bodies == GOOD
    assert len(errors) == 1, errors


def test_too_big_does_not_wait_for_bytes_that_never_come() -> None:
    # The declared 100000 bytes never arrive; the next request must be answered all the same.
    bodies, errors = run([MALFORMED["too big"], frame(GOOD[0])])
    assert bodies == GOOD[:1]
    assert errors == [f"Content-Length 100000 but the next header came after {len(BAD)} bytes"]


def test_a_partial_body_waits_without_error() -> None:
    parser = FrameParser()
    parser.feed(frame(GOOD[0])[:-5])
    assert parser.next_event() is None
    parser.feed(frame(GOOD[0])[-5:])
    assert parser.next_event() == Frame(GOOD[0])
    assert parser.next_event() is None


def test_resync_keeps_a_header_cut_by_the_chunk_end() -> None:
    data = b"garbage line\r\n" + frame(GOOD[0])
    cut = data.index(b"Length")
    assert run([data[:cut], data[cut:]]) == ([GOOD[0]], ["not a header line: b'garbage line'"])


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(MALFORMED)), cuts=st.lists(st.integers(0, 10**6), max_size=8))
def test_any_chunking_gives_the_same_frames(kind: str, cuts: list[int]) -> None:
    data = STREAM_OF_GOOD + MALFORMED[kind] + STREAM_OF_GOOD
    bodies, errors = run(split(data, cuts))
    assert bodies == GOOD + GOOD
    assert len(errors) == 1


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(),
            lambda c: st.lists(c) | st.dictionaries(st.text(), c),
            max_leaves=10,
        ),
        min_size=1,
        max_size=4,
    ),
    indent=st.sampled_from([None, 0, 2, "\r\n"]),
    cuts=st.lists(st.integers(0, 10**6), max_size=6),
)
def test_valid_json_never_looks_like_a_header(
    values: list[Any], indent: Any, cuts: list[int]
) -> None:
    # Pretty-printed bodies hold raw line ends; any string (even "Content-Length: 1\r\n") is
    # escaped by JSON, so no body of valid JSON is mistaken for a too-big length.
    bodies = [json.dumps(v, indent=indent, ensure_ascii=False).encode() for v in values]
    data = b"".join(frame(b) for b in bodies)
    assert run(split(data, cuts)) == (bodies, [])
