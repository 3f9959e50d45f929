"""What the shared token store costs: loading, looking up, merging, and a warm CLI pack beside it.

    python tests/bench/bench_store.py [ROOT] [--runs 3] [--entries 2000000]

Prints CPU seconds (medians of ``--runs``; the machine is shared, so CPU time rather than wall):

1. decoding a token table as the workspace cache stores it (a msgpack list of tuples, checked
   into a dict) against a store shard (checksum + ``array.frombytes``), at 10k/100k/1M entries;
2. with a store of ``--entries`` entries on disk: one lookup that loads one shard; one new
   count merged (lock, re-read, merge, write one shard); 10k new counts merged (every shard);
3. warm ``sourcepacker pack ROOT`` (new process, default: the stdlib) with that store in its
   cache base, against the same with an empty store: a warm run must not load the store.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import msgspec
from corpora import corpus, python_env

from sourcepacker.cache import DAY_BITS, _decode, content_key, encode_cache, today, valid_tokens
from sourcepacker.store import (
    SHARD_BITS,
    SHARDS,
    STORE_DIR_NAME,
    TokenStore,
    decode_shard,
    encode_shard,
    shard_path,
)


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def median_cpu(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = cpu()
        fn()
        times.append(cpu() - start)
    return statistics.median(times)


def rows(n: int, seed: int) -> list[tuple[int, int, int, int]]:
    rnd = random.Random(seed)
    day = today()
    out = []
    for _ in range(n):
        size = rnd.randrange(1, 100_000)
        out.append((rnd.getrandbits(64), size, rnd.randrange(1, size + 1), day))
    return out


def decode_figures(runs: int) -> None:
    print("1. decode one table (CPU ms): workspace cache format vs one store shard's arrays")
    for n in (10_000, 100_000, 1_000_000):
        entries = rows(n, n)
        body = msgspec.msgpack.encode(
            {"version": 3, "tokens": {"o200k_base": entries}, "paths": {}, "raw_paths": []}
        )
        data = encode_cache(body)
        table = {content_key(h, s): t << DAY_BITS | d for h, s, t, d in entries}
        shard = encode_shard(table)
        as_cache = median_cpu(lambda d=data: valid_tokens(_decode(d).tokens), runs)
        # Every entry in one "shard" here: index check off (the real store splits by digest).
        as_store = median_cpu(lambda d=shard: _load_arrays(d), runs)
        print(
            f"   {n:>9,} entries: cache {len(data) / 1e6:5.1f} MB {as_cache * 1e3:7.1f} ms | "
            f"shard {len(shard) / 1e6:5.1f} MB {as_store * 1e3:6.1f} ms"
        )


def _load_arrays(data: bytes) -> None:
    try:
        decode_shard(data, 0)
    except ValueError:  # "entries of another shard": raised after every array is built
        pass


def write_store(directory: Path, entries: int) -> None:
    by_shard: list[dict[int, int]] = [{} for _ in range(SHARDS)]
    for h, s, t, d in rows(entries, 7):
        by_shard[h >> (64 - SHARD_BITS)][content_key(h, s)] = t << DAY_BITS | d
    for index, table in enumerate(by_shard):
        path = shard_path(directory, "o200k_base", index)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode_shard(table))


def store_figures(directory: Path, entries: int, runs: int) -> None:
    print(f"2. a store of {entries:,} entries ({SHARDS} shards), CPU ms")
    probe = rows(1, 99)[0]
    lookup = median_cpu(lambda: TokenStore(directory).get("o200k_base", probe[0], probe[1]), runs)
    print(f"   first lookup (loads one shard): {lookup * 1e3:.1f}")

    def merge_new(n: int) -> None:
        store = TokenStore(directory)
        for h, s, t, _d in rows(n, random.randrange(1 << 30)):
            store.add("o200k_base", h, s, t)
        store.save()

    print(f"   save of 1 new count (one shard): {median_cpu(lambda: merge_new(1), runs) * 1e3:.1f}")
    print(
        f"   save of 10,000 new counts (every shard): "
        f"{median_cpu(lambda: merge_new(10_000), runs) * 1e3:.0f}"
    )


def warm_pack(root: Path, base: Path, runs: int) -> float:
    env = {**python_env(), "SOURCEPACKER_CACHE_DIR": str(base)}  # bytecode cached, as installed
    cmd = [sys.executable, "-m", "sourcepacker", "pack", str(root), "-o", os.devnull]
    subprocess.run(cmd, env=env, check=True, capture_output=True)  # cold: fills the caches
    times = []
    for _ in range(runs):
        start = child_cpu()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(child_cpu() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", nargs="?", default=None, help="default: the stdlib corpus")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--no-pack", action="store_true", help="leave out the warm packs")
    args = parser.parse_args()
    root = Path(args.root) if args.root else corpus("stdlib")
    decode_figures(args.runs)
    with tempfile.TemporaryDirectory() as big, tempfile.TemporaryDirectory() as empty:
        write_store(Path(big) / STORE_DIR_NAME, args.entries)
        store_figures(Path(big) / STORE_DIR_NAME, args.entries, args.runs)
        if args.no_pack:
            return
        print(f"3. warm `sourcepacker pack {root}` (new process), CPU s")
        with_empty = warm_pack(root, Path(empty), args.runs)
        with_big = warm_pack(root, Path(big), args.runs)
        print(
            f"   beside an empty store: {with_empty:.3f}; beside {args.entries:,}: {with_big:.3f}"
        )
        sizes = sum(p.stat().st_size for p in (Path(big) / STORE_DIR_NAME).rglob("*.bin"))
        print(f"   store on disk: {sizes / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
