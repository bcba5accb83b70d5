"""Measuring helpers: a fixed-duration load from several processes, and percentiles."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import create_engine, text

# An operation factory: called once per client thread with (process index, thread index);
# returns the operation to repeat, which returns False when it was refused (not an error).
Operation = Callable[[], bool]
Factory = Callable[[int, int], Operation]


@dataclass
class Result:
    label: str
    seconds: float
    done: int
    refused: int
    errors: int
    latencies_ms: list[float]
    busy: float | None = None  # the share of the machine's CPU time in use during the run

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _process(
    factory: Factory, index: int, threads: int, seconds: float, out: multiprocessing.Queue[object]
) -> None:
    start = threading.Barrier(threads)
    lock = threading.Lock()
    totals = {"done": 0, "refused": 0, "errors": 0}
    latencies: list[float] = []

    def client(thread_index: int) -> None:
        try:
            operation = factory(index, thread_index)
        except Exception:
            start.abort()  # a client that cannot start (no connection left) stops the run
            raise
        try:
            start.wait()
        except threading.BrokenBarrierError:
            return
        deadline = time.perf_counter() + seconds
        mine: list[float] = []
        done = refused = errors = 0
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                if operation():
                    done += 1
                    mine.append((time.perf_counter() - began) * 1000)
                else:
                    refused += 1
            except Exception:
                errors += 1
        with lock:
            totals["done"] += done
            totals["refused"] += refused
            totals["errors"] += errors
            latencies.extend(mine)

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put(None if start.broken else (totals, latencies))


def run(label: str, factory: Factory, *, clients: int, processes: int, seconds: float) -> Result:
    """`clients` concurrent clients spread over `processes` processes, for `seconds`."""
    context = multiprocessing.get_context("fork")
    out: multiprocessing.Queue[object] = context.Queue()
    per_process = [
        clients // processes + (1 if i < clients % processes else 0) for i in range(processes)
    ]
    children = [
        context.Process(target=_process, args=(factory, i, n, seconds, out))
        for i, n in enumerate(per_process)
    ]
    before = _cpu_times()
    for child in children:
        child.start()
    done = refused = errors = 0
    latencies: list[float] = []
    broken = False
    for _ in children:
        answer = out.get()
        if answer is None:
            broken = True
            continue
        totals, found = answer  # type: ignore[misc]
        done += totals["done"]
        refused += totals["refused"]
        errors += totals["errors"]
        latencies.extend(found)
    for child in children:
        child.join()
    if broken:
        raise RuntimeError(f"{label}: a client could not start (its error is printed above)")
    return Result(label, seconds, done, refused, errors, latencies, _busy(before, _cpu_times()))


def _cpu_times() -> tuple[int, int] | None:
    """(all, idle) clock ticks of every CPU since boot, from /proc/stat; None off Linux."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(ticks[:8]), ticks[3] + ticks[4]  # user..steal; idle + iowait


def _busy(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    if before is None or after is None or after[0] == before[0]:
        return None
    return 1 - (after[1] - before[1]) / (after[0] - before[0])


class ScratchDatabase:
    """A PostgreSQL database made for one benchmark run and dropped after it."""

    def __init__(self, server_url: str) -> None:
        self.admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.name = f"antre_bench_{uuid.uuid4().hex[:8]}"
        self.url = self.admin.url.set(database=self.name).render_as_string(hide_password=False)

    def __enter__(self) -> ScratchDatabase:
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self

    def __exit__(self, *_: object) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def row(result: Result, baseline: Result | None = None) -> str:
    ratio = f"{result.rate / baseline.rate:6.0%}" if baseline else "     -"
    return (
        f"| {result.label:<34} | {result.rate:8.0f} | {result.percentile(0.5):7.1f} | "
        f"{result.percentile(0.99):7.1f} | {ratio} | {result.refused:7d} | {result.errors:6d} |"
    )


HEADER = "\n".join(
    [
        "| run                                | per sec  | p50 ms  | p99 ms  | ratio  "
        "| refused | errors |",
        "|------------------------------------|----------|---------|---------|--------"
        "|---------|--------|",
    ]
)
