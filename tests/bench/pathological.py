"""Time tiktoken against length on inputs with very long regex pieces (figures, not a test).

    python tests/bench/pathological.py [--encodings o200k_base,cl100k_base] [--max 2000000]

BPE works piece by piece after tiktoken's regex split; ordinary code has pieces of a few bytes,
but a long run of one character, a long word, minified code or base64 can make pieces of
megabytes, where BPE merging is no longer linear. For each input kind and length (1 KB … 2 MB)
this prints the CPU time of ``encode_ordinary`` (or the error it raised) and of SourcePacker's
counter (``vocab.counter``, which must give the same count and must never raise), and the
throughput relative to ordinary code. CPU time (``time.process_time``) is reported because the
machine is shared; the counts are checked equal wherever tiktoken could count.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
import sys
import sysconfig
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sourcepacker.vocab import counter, get_encoding

LENGTHS = (1_000, 10_000, 100_000, 300_000, 1_000_000, 2_000_000)
#: Stop growing one kind once a single count takes this long (CPU seconds).
STOP_AFTER = 8.0

_rng = random.Random(7)
_CJK = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学"


def _reference_code() -> str:
    """~2 MB of ordinary Python, the yardstick for 'normal' throughput."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts, size = [], 0
    for p in sorted(stdlib.glob("*.py")):
        text = p.read_text("utf-8", errors="replace")
        parts.append(text)
        size += len(text)
        if size > 2_000_000:
            break
    return "".join(parts)


KINDS: dict[str, Callable[[int], str]] = {
    "code (reference)": lambda n: _REF[:n],
    "one char 'a'": lambda n: "a" * n,
    "lowercase word": lambda n: "".join(_rng.choices(string.ascii_lowercase, k=n)),
    "CJK run": lambda n: "".join(_rng.choices(_CJK, k=n)),
    "spaces then x": lambda n: " " * (n - 1) + "x",
    "newlines": lambda n: "\n" * n,
    "'=' run": lambda n: "=" * n,
    "digits": lambda n: "7" * n,
    "base64": lambda n: base64.b64encode(_rng.randbytes(n))[:n].decode(),
    "minified js": lambda n: ("var a=function(b){return b+1};" * (n // 30 + 1))[:n],
}
_REF = ""


def cpu(fn: Callable[[], int]) -> tuple[float, int | str]:
    start = time.process_time()
    try:
        out: int | str = fn()
    except BaseException as exc:  # tiktoken's Rust panics surface as a BaseException
        if isinstance(exc, KeyboardInterrupt):
            raise
        out = f"{type(exc).__name__}"
    return time.process_time() - start, out


def run(encodings: Sequence[str], max_len: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for name in encodings:
        enc = get_encoding(name)
        count = counter(name)
        ref_rate = None
        for kind, make in KINDS.items():
            for n in (n for n in LENGTHS if n <= max_len):
                text = make(n)
                t_tk, tk = cpu(lambda: len(enc.encode_ordinary(text)))  # noqa: B023
                t_sp, sp = cpu(lambda: count(text))  # noqa: B023
                rate = n / t_sp if t_sp else float("inf")
                if kind.startswith("code") and n == max(x for x in LENGTHS if x <= max_len):
                    ref_rate = rate
                rows.append(
                    {
                        "encoding": name,
                        "kind": kind,
                        "chars": n,
                        "tiktoken_s": t_tk,
                        "tiktoken": tk,
                        "sourcepacker_s": t_sp,
                        "tokens": sp,
                        "equal": tk == sp if isinstance(tk, int) else None,
                        "mb_per_s": rate / 1e6,
                    }
                )
                if max(t_tk, t_sp) > STOP_AFTER:
                    break
        for r in rows:
            if r["encoding"] == name and ref_rate:
                r["slowdown_vs_code"] = ref_rate / (r["mb_per_s"] * 1e6)  # type: ignore[operator]
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    global _REF
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--encodings", default="o200k_base,cl100k_base")
    p.add_argument("--max", type=int, default=2_000_000, help="longest input, characters")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    _REF = _reference_code()
    rows = run(args.encodings.split(","), args.max)
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    head = f"{'encoding':12} {'input':17} {'chars':>9} {'tiktoken':>12} {'ours':>9}"
    print(f"{head} {'MB/s':>6} {'×code':>6}")
    for r in rows:
        tk = r["tiktoken"]
        tk_txt = f"{r['tiktoken_s']:8.3f} s" if isinstance(tk, int) else f"{tk[:12]:>12}"
        flag = "" if r["equal"] in (True, None) else "  COUNT MISMATCH"
        print(
            f"{r['encoding']:12} {r['kind']:17} {r['chars']:9,} {tk_txt:>12}"
            f" {r['sourcepacker_s']:7.3f} s {r['mb_per_s']:6.2f}"
            f" {r.get('slowdown_vs_code', float('nan')):6.1f}{flag}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
