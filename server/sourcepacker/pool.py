"""The bounded tokenizer pool: batches of files in, per-file counts out, cancellable.

Batches of 64 files: small enough that progress moves every ~20–50 ms on source code and a
cancel lands quickly, large enough that per-task overhead (a future, a process round trip)
stays under 1% of the work. Workers never touch shared state; the caller merges results on
its own thread.

Thread or process? tiktoken releases the GIL while encoding, so threads scale; they also
start instantly, read each file once and see the cache (a file seen twice in one scan is
tokenized once). ``tests/bench/bench_engine.py`` measures both, cold, in a new process, on
CPython 3.11's stdlib (2,255 files, 37 MB, 2 workers, 2-core machine shared with other test
runs; medians of 5):

    load 2.3→1.7   thread 2.28 s wall, 3.66 s CPU   process 2.47 s wall, 3.93 s CPU
    load 3.7→3.2   thread 3.86 s wall, 3.75 s CPU   process 3.71 s wall, 4.67 s CPU
    (tokenizer limit, 2 threads, same texts in memory: 1.58 s and 3.24 s wall)

Spawning the two workers and loading the encoding in each takes 0.4–0.7 s (now started at the
first miss so it overlaps the hashing); the workers then read every miss a second time and
cannot dedupe identical files (2,255 tokenized instead of 2,208). The process pool always
costs 0.3–0.9 CPU-seconds more and wins no wall time on a quiet machine, so threads are
tiktoken's default.

Those figures are tiktoken's. rs-bpe holds the GIL, so its threads count on one core; its
pool is "adaptive" (``backends.pool_kind_for``): misses are counted here, on threads, until
they reach ``PROCESS_MIN_BYTES``, then two worker processes take them (spawned at that moment,
so their start overlaps the hashing; shut down when the batch is done). Cold pack of the stdlib
(37 MB, 2 workers, quiet 2-core VM, ``--stats``): count stage 3.03 s on threads, 1.70 s in
processes; whole run 3.84 s against 2.65 s. Under heavy load (load average ~8) processes had
lost (13.7 s against 10.9 s): the spawn and the second read compete for the same cores.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, TypeVar

from .backends import CountingBackend, get_backend, pool_kind_for
from .counting import (
    DEFAULT_MAX_SIZE,
    FileCount,
    Lookup,
    Shape,
    counted,
    read_and_count,
    read_and_hash,
    worker_count_batch,
    worker_init,
    worker_ready,
)

if TYPE_CHECKING:  # importing it costs ~12 ms (multiprocessing, socket): only when used
    from concurrent.futures import ProcessPoolExecutor

BATCH_SIZE = 64
#: "adaptive" pools count misses on threads below this many bytes, in worker processes above.
#: Two workers cost ~0.3 CPU-s to spawn and load rs-bpe (0.05 s) in; rs-bpe counts ~15-28 MB
#: per CPU-s, so the second core repays that from a few MB on: 4 MiB is ~0.15-0.25 s of
#: counting on one core.
PROCESS_MIN_BYTES = 4 << 20
_Batch = TypeVar("_Batch")


class TokenizerPool:
    """Counts files with ``size`` workers; workers start lazily, on the first cache miss."""

    def __init__(
        self, encoding: str, kind: str = "auto", size: int = 2, counter: str = "auto"
    ) -> None:
        self.encoding = encoding
        #: The backend that counts (``Settings.counter`` resolved: never "auto").
        self.backend: CountingBackend = get_backend(counter, encoding)
        #: "thread" or "process" (``Settings.pool_kind`` resolved for this backend).
        self.kind = pool_kind_for(self.backend, kind)
        self.size = size
        self._threads: ThreadPoolExecutor | None = None
        self._processes: ProcessPoolExecutor | None = None
        self._count: Callable[[str], int] | None = None
        self._lock = threading.Lock()
        self.queue_depth = 0
        self.last_batch_seconds = 0.0

    # The encoding loads on first use: a warm run that hits the cache never pays for it.
    def count_text(self, text: str) -> int:
        return self.counter()(text)

    def counter(self) -> Callable[[str], int]:
        with self._lock:
            if self._count is None:
                self._count = self.backend.counter(self.encoding)
            return self._count

    def count_files(
        self,
        root: str,
        rels: Sequence[str],
        lookup: Lookup,
        cancel: threading.Event | None = None,
        max_size: int = DEFAULT_MAX_SIZE,
        shape: Shape | None = None,
    ) -> Iterator[list[FileCount]]:
        """Yield results batch by batch, in completion order, until done or cancelled.

        ``root`` is the workspace's real path; no file is read past ``max_size`` + 1 bytes.
        ``shape``: also shape each tokenized file for that pack (``FileCount.shaped``).
        """
        batches = [list(rels[i : i + BATCH_SIZE]) for i in range(0, len(rels), BATCH_SIZE)]
        if self.kind in ("process", "adaptive"):
            yield from self._count_in_processes(root, batches, lookup, cancel, max_size, shape)
        else:
            threads = self._thread_pool()
            seen = _SeenThisScan(lookup)
            yield from self._run(
                batches,
                cancel,
                lambda b: threads.submit(self._thread_batch, root, b, seen, max_size, shape),
            )

    def _thread_batch(
        self, root: str, batch: list[str], seen: _SeenThisScan, max_size: int, shape: Shape | None
    ) -> list[FileCount]:
        started = time.perf_counter()
        count = _LazyCount(self)
        out = []
        for rel in batch:
            result = read_and_count(root, rel, seen.lookup, count, max_size, shape)
            seen.remember(result)
            out.append(result)
        self.last_batch_seconds = time.perf_counter() - started
        return out

    def _count_in_processes(
        self,
        root: str,
        batches: list[list[str]],
        lookup: Lookup,
        cancel: threading.Event | None,
        max_size: int,
        shape: Shape | None,
    ) -> Iterator[list[FileCount]]:
        """Hash on threads (cache hits end there), then send only misses to the workers.

        "adaptive": the misses' texts are kept while they add up to less than
        ``PROCESS_MIN_BYTES`` and then counted here, on threads; past that, workers are spawned
        (at that moment, so their start overlaps the hashing) and shut down at the end, so an
        idle daemon holds no worker.
        """
        adaptive = self.kind == "adaptive"
        misses: list[tuple[str, int]] = []
        kept: dict[str, tuple[FileCount, str]] = {}
        miss_bytes = 0
        spawned = False
        lock = threading.Lock()

        def hash_batch(batch: list[str]) -> list[FileCount]:
            nonlocal miss_bytes, spawned
            out = []
            for rel in batch:
                result, text = read_and_hash(root, rel, max_size)
                cached = None if text is None else lookup(result.hash, result.size)
                if text is not None and cached is None:
                    with lock:
                        misses.append((rel, result.hash))
                        miss_bytes += result.size
                        if adaptive and not spawned and miss_bytes < PROCESS_MIN_BYTES:
                            kept[rel] = (result, text)
                        elif not spawned:
                            spawned = True
                            kept.clear()
                            self._start_processes()
                    continue
                if cached is not None:
                    result = dataclasses.replace(result, tokens=cached, from_cache=True)
                out.append(result)
            return out

        threads = self._thread_pool()
        # Misses go to the workers batch by batch while the hashing goes on: counting starts
        # ~0.2-0.3 s earlier on a cold stdlib than after hashing every file.
        counting: set[Future[list[FileCount]]] = set()
        sent = 0

        def send(everything: bool) -> None:
            nonlocal sent
            with lock:
                if not spawned:
                    return
                end = (
                    len(misses)
                    if everything
                    else sent + (len(misses) - sent) // BATCH_SIZE * BATCH_SIZE
                )
                chunk, sent = misses[sent:end], end
            processes = self._process_pool()
            for i in range(0, len(chunk), BATCH_SIZE):
                batch = chunk[i : i + BATCH_SIZE]
                counting.add(processes.submit(worker_count_batch, root, batch, max_size, shape))

        def finished() -> Iterator[list[FileCount]]:
            done = {f for f in counting if f.done()}
            counting.difference_update(done)
            for future in done:
                yield future.result()

        try:
            for hashed in self._run(batches, cancel, lambda b: threads.submit(hash_batch, b)):
                yield hashed
                send(everything=False)
                yield from finished()
            if cancel is not None and cancel.is_set():
                return
            if not spawned:  # a few misses: count them here, on the texts already read
                seen = _SeenThisScan(lookup)
                small = [misses[i : i + BATCH_SIZE] for i in range(0, len(misses), BATCH_SIZE)]
                yield from self._run(
                    small, cancel, lambda b: threads.submit(self._count_kept, b, kept, seen, shape)
                )
                return
            send(everything=True)
            while counting and not (cancel is not None and cancel.is_set()):
                self.queue_depth = len(counting)
                wait(counting, return_when=FIRST_COMPLETED)
                yield from finished()
        finally:
            for future in counting:
                future.cancel()
            self.queue_depth = 0
            if adaptive and spawned:
                self._stop_processes()

    def _count_kept(
        self, batch: list[tuple[str, int]], kept: dict[str, tuple[FileCount, str]],
        seen: _SeenThisScan, shape: Shape | None,
    ) -> list[FileCount]:  # fmt: skip
        count = _LazyCount(self)
        out = []
        for rel, _digest in batch:
            result, text = kept[rel]
            tokens = seen.lookup(result.hash, result.size)
            if tokens is None:
                result = counted(result, text, count, shape)
            else:
                result = dataclasses.replace(result, tokens=tokens, from_cache=True)
            seen.remember(result)
            out.append(result)
        return out

    def _run(
        self,
        batches: Sequence[_Batch],
        cancel: threading.Event | None,
        submit: Callable[[_Batch], Future[list[FileCount]]],
    ) -> Iterator[list[FileCount]]:
        # Keep the queue short (2 batches per worker) so a cancel or a newer scan is not
        # stuck behind thousands of submitted tasks.
        pending: set[Future[list[FileCount]]] = set()
        todo = iter(batches)
        limit = self.size * 2
        try:
            while True:
                while len(pending) < limit and not (cancel is not None and cancel.is_set()):
                    batch = next(todo, None)
                    if batch is None:
                        break
                    pending.add(submit(batch))
                self.queue_depth = len(pending)
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()
            self.queue_depth = 0

    def _thread_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(self.size, thread_name_prefix="sp-count")
            return self._threads

    def _start_processes(self) -> None:
        """Spawn every worker now, so imports and the encoding load overlap the hashing.

        The encoding is loaded here too, meanwhile: a pack counts its glue right after the
        scan, and loading rs-bpe's o200k then cost 0.26 s of a cold stdlib pack's serial tail.
        """
        pool = self._process_pool()
        for _ in range(self.size):
            pool.submit(worker_ready)
        threading.Thread(target=self._preload, name="sp-load-encoding", daemon=True).start()

    def _preload(self) -> None:
        # A failure here resurfaces, as one line, where the count is actually needed.
        with contextlib.suppress(Exception):
            self.counter()

    def _stop_processes(self) -> None:
        with self._lock:
            processes, self._processes = self._processes, None
        if processes is not None:
            processes.shutdown(wait=True, cancel_futures=True)

    def _process_pool(self) -> ProcessPoolExecutor:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with self._lock:
            if self._processes is None:
                self._processes = ProcessPoolExecutor(
                    self.size,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=worker_init,
                    initargs=(self.encoding, self.backend.name),
                )
            return self._processes

    def close(self) -> None:
        with self._lock:
            threads, processes = self._threads, self._processes
            self._threads = self._processes = None
        if threads is not None:
            threads.shutdown(wait=True, cancel_futures=True)
        if processes is not None:
            processes.shutdown(wait=True, cancel_futures=True)


class _SeenThisScan:
    """The cache plus what this scan has counted but not merged yet.

    Without it, identical files (vendored licences, generated stubs) met in one scan would each
    be tokenized, since results reach the cache only when the caller merges them.
    """

    def __init__(self, cache: Lookup) -> None:
        self._cache = cache
        self._fresh: dict[tuple[int, int], int] = {}

    def lookup(self, digest: int, size: int) -> int | None:
        tokens = self._cache(digest, size)
        return self._fresh.get((digest, size)) if tokens is None else tokens

    def remember(self, result: FileCount) -> None:
        if result.tokens is not None and not result.from_cache:
            self._fresh[(result.hash, result.size)] = result.tokens


class _LazyCount:
    """Loads the encoding only when a batch actually has a cache miss."""

    def __init__(self, pool: TokenizerPool) -> None:
        self._pool = pool

    def __call__(self, text: str) -> int:
        return self._pool.counter()(text)
