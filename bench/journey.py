"""The USSD journey people make, under gunicorn, beside a bare Flask endpoint, in one run.

    python -m bench.journey [--postgres-url URL] [--redis-url redis://127.0.0.1:6379/13]
                            [--clients 64] [--processes 2] [--seconds 10] [--workers 2]
                            [--profile DIR]

A first-time phone dials `*123*<code>#`, then presses four keys to a number (take a number,
a service, the first time offered, for me): five requests, a new session and a new phone each
journey, spread over the demo's facilities and services (bench.ussd's scratch database). One
operation is one whole journey; the bare endpoint's operation is one request, so the target
reads bookings/s against (bare requests/s ÷ 5). Before the load, one journey in-process counts
each step's SQL statements and Redis round trips. After it, the database is checked: no number
given twice, places_taken right, no session over its capacity, one number per phone.

During the journeys it also counts the CPU time each part spent (psutil): the gunicorn workers,
the scratch database's PostgreSQL backends, the Redis server (shared: other users of it count
too) and the load generator, per journey. With `--profile DIR`, py-spy samples every worker
for the run and writes collapsed stacks there, summarised as the functions most often on the
stack (`bench.journey --summarise DIR` prints that again).
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
from redis import Redis
from redis.connection import Connection
from sqlalchemy import event

from antre import create_app, database_of
from bench.common import HEADER, Factory, ScratchDatabase, row, run
from bench.ussd import check_one_dial, dial_factory, gunicorn, load_arguments, post, prepare
from ussd.phone import Handset, through_app

STEPS = ("dial", "take a number", "service", "time", "for me")


def steps_of(path: str) -> list[str]:
    """`1001*1*2*1*1` as the gateway sends it over five requests: `1001`, `1001*1`, …"""
    parts = path.split("*")
    return ["*".join(parts[: n + 1]) for n in range(len(parts))]


def journey_factory(port: int, paths: list[str], prefix: str, folder: Path) -> Factory:
    """Clients that each make whole journeys; each step's latency goes to a file per client."""

    def factory(process: int, thread: int) -> object:
        counter = itertools.count()
        out = (folder / f"{process}-{thread}.txt").open("a", buffering=1)

        def operation() -> bool:
            n = next(counter)
            session = f"ATUid_{uuid.uuid4().hex}"
            phone = f"{prefix}{process % 10}{thread:02d}{n:04d}"
            times = []
            answer = ""
            for text in steps_of(paths[(process * 997 + thread * 31 + n) % len(paths)]):
                form = {
                    "sessionId": session,
                    "serviceCode": "*123#",
                    "phoneNumber": phone,
                    "text": text,
                    "networkCode": "51010",
                }
                began = time.perf_counter()
                status, answer = post(port, form)
                times.append((time.perf_counter() - began) * 1000)
                if status != 200:
                    raise RuntimeError(f"HTTP {status}: {answer[:80]}")
            out.write(" ".join(f"{t:.2f}" for t in times) + "\n")
            if answer.startswith("END Nomor Anda:"):
                return True
            print(f"unexpected answer: {answer[:70]!r}", file=sys.stderr)
            return False

        return operation

    return factory  # type: ignore[return-value]


def counted_journey(
    url: str,
    redis_url: str,
    path: str,
    phone: str = "+6281399990000",
    one_dial: bool = False,
    show: bool = False,
) -> list[tuple[int, int]]:
    """One journey in-process: (SQL statements, Redis round trips) per step; with `one_dial`
    the whole path dialled at once (`*123*1001*1*2*1*1#`), one request. Counted after one
    journey of another phone on the same path, so that the process's copies are warm, as in a
    worker under load; `show` prints each statement."""
    app = create_app({"DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": "bench"})
    statements = [0]
    trips = [0]

    @event.listens_for(database_of(app).engine, "before_cursor_execute")
    def count(*args: Any) -> None:
        statements[0] += 1
        if show and counting:
            print("  SQL", " ".join(str(args[2]).split())[:150])

    send = Connection.send_packed_command

    def counted(self: Connection, *args: Any, **kwargs: Any) -> None:
        trips[0] += 1
        if show and counting:
            print("  Redis", repr(args[0])[:150])
        send(self, *args, **kwargs)

    Connection.send_packed_command = counted  # type: ignore[method-assign]
    counting = False
    try:
        warm = Handset(through_app(app), phone[:-1] + str((int(phone[-1]) + 5) % 10))
        for n, typed in enumerate(path.split("*")):
            warm.dial(f"*123*{typed}#") if n == 0 else warm.press(typed)
        counting = True
        handset = Handset(through_app(app), phone)
        found = []
        parts = [path] if one_dial else path.split("*")
        for n, typed in enumerate(parts):
            statements[0] = trips[0] = 0
            if show:
                print(f"step {n + 1}: {typed}")
            handset.dial(f"*123*{typed}#") if n == 0 else handset.press(typed)
            found.append((statements[0], trips[0]))
        assert handset.finished, "the journey did not end with a number"
    finally:
        Connection.send_packed_command = send  # type: ignore[method-assign]
        database_of(app).dispose()
    return found


def _cpu(processes: list[psutil.Process]) -> dict[int, float]:
    found = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        found[process.pid] = times.user + times.system
    return found


def gunicorn_workers() -> list[psutil.Process]:
    """The workers of the gunicorn this process started (its grandchildren named gunicorn)."""
    found = []
    for server in psutil.Process().children():
        try:
            if "gunicorn" in " ".join(server.cmdline()):
                found += server.children()
        except psutil.Error:
            continue  # a load generator or py-spy that has just ended
    return found


def _parts(database_name: str) -> dict[str, list[psutil.Process]]:
    """The processes whose CPU a journey costs, by part (the load generator apart)."""
    workers = gunicorn_workers()
    postgres, redis = [], []
    for process in psutil.process_iter(["name", "cmdline"]):
        line = " ".join(process.info["cmdline"] or [])
        if process.info["name"] == "postgres" and f" {database_name} " in f" {line} ":
            postgres.append(process)
        elif (process.info["name"] or "").startswith("redis-server"):
            redis.append(process)
    return {"gunicorn workers": workers, "postgresql": postgres, "redis (shared)": redis}


@contextmanager
def cpu_by_part(database_name: str, out: dict[str, float]) -> Iterator[None]:
    """CPU seconds each part spent in the block, into `out` (backends that start count whole)."""
    me = psutil.Process()
    before = _cpu([process for group in _parts(database_name).values() for process in group])
    times = me.cpu_times()
    generator = times.children_user + times.children_system
    yield
    # run() joined the load processes: their time is in this process's children times now;
    # gunicorn's is not (it has not exited), so it does not count twice.
    times = me.cpu_times()
    out["load generator"] = times.children_user + times.children_system - generator
    for part, group in _parts(database_name).items():
        after = _cpu(group)
        out[part] = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


@contextmanager
def profiled(folder: Path | None, seconds: float) -> Iterator[None]:
    """py-spy record on every gunicorn worker for `seconds`, collapsed stacks into `folder`."""
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    workers = [worker.pid for worker in gunicorn_workers()]
    spy = str(Path(sys.executable).parent / "py-spy")
    recorders = [
        subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
             "--format", "raw", "--output", str(folder / f"worker-{pid}.txt"), "--nonblocking"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in workers
    ]  # fmt: skip
    try:
        yield
    finally:
        for recorder in recorders:
            recorder.wait(timeout=seconds + 30)


def summarise(folder: Path, top: int = 25) -> str:
    """The functions most often on the stack in py-spy's collapsed stacks (inclusive share),
    and those most often at its top (self share)."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for file in folder.glob("worker-*.txt"):
        for line in file.open():
            stack, _, count = line.rstrip().rpartition(" ")
            if not stack:
                continue
            n = int(count)
            frames = [frame.split(" (")[0] + " " + _where(frame) for frame in stack.split(";")]
            total += n
            for frame in set(frames):
                inclusive[frame] += n
            own[frames[-1]] += n
    lines = [f"{total} samples; inclusive share (on the stack):"]
    lines += [f"  {n / total:5.1%}  {frame}" for frame, n in inclusive.most_common(top)]
    lines.append("self share (at the top of the stack):")
    lines += [f"  {n / total:5.1%}  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines)


def _where(frame: str) -> str:
    inside = frame.partition(" (")[2].rstrip(")")
    path = inside.rsplit(":", 1)[0]
    for marker in ("site-packages/", "/wt-", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"({path.split('/', 1)[-1] if marker == '/wt-' else path})"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    load_arguments(parser)
    parser.add_argument("--profile", type=Path, help="py-spy every worker; stacks into DIR")
    parser.add_argument("--summarise", type=Path, help="only print the profile in DIR")
    args = parser.parse_args()
    if args.summarise:
        print(summarise(args.summarise))
        return
    load = {"clients": args.clients, "processes": args.processes, "seconds": args.seconds}
    redis = Redis.from_url(args.redis_url)
    redis.flushdb()
    prefix = f"+62813{os.getpid() % 100:02d}"
    with ScratchDatabase(args.postgres_url) as scratch, tempfile.TemporaryDirectory() as tmp:
        paths, phones = prepare(scratch.url)
        counts = counted_journey(scratch.url, args.redis_url, paths[0])
        env = {
            "DATABASE_URL": scratch.url,
            "REDIS_URL": args.redis_url,
            "ANTRE_SECRET_KEY": "bench",
            "ANTRE_SIMULATOR": "false",
        }
        with gunicorn("bench.ussd:bare_app()", args.workers, 1, env) as port:
            bare = run(
                "bare Flask endpoint",
                dial_factory(port, lambda *_: "", lambda *_: phones[0], "CON "),
                **load,
            )
        cpu: dict[str, float] = {}
        name = scratch.name
        with (
            gunicorn("wsgi:app", args.workers, 1, env) as port,
            profiled(args.profile, args.seconds),
            cpu_by_part(name, cpu),
        ):
            journeys = run(
                f"USSD journey, 5 requests, {len(paths)} sessions",
                journey_factory(port, paths, prefix, Path(tmp)),
                **load,
            )
        lines = [line.split() for file in Path(tmp).glob("*.txt") for line in file.open()]
        checks = check_one_dial(scratch.url, prefix)
    redis.flushdb()
    print(f"load: {args.clients} clients in {args.processes} processes, {args.seconds:g} s each;")
    print(f"gunicorn {args.workers} sync workers; one journey operation = 5 requests")
    print(HEADER)
    print(row(bare))
    print(row(journeys))
    ratio = journeys.rate / (bare.rate / 5)
    print(f"bookings/s {journeys.rate:.1f} = {ratio:.2f} of (bare {bare.rate:.0f}/s ÷ 5)")
    print("step            p50 ms  p99 ms  statements  redis round trips")
    for n, name in enumerate(STEPS):
        times = [float(line[n]) for line in lines if len(line) == len(STEPS)]
        sql, trips = counts[n]
        print(
            f"{name:<15} {percentile(times, 0.5):6.1f}  {percentile(times, 0.99):6.1f}"
            f"  {sql:10d}  {trips:17d}"
        )
    print("CPU ms per journey:", ", ".join(
        f"{part} {seconds * 1000 / max(journeys.done, 1):.1f}" for part, seconds in cpu.items()
    ))  # fmt: skip
    print("checks:", checks)
    if args.profile:
        print(summarise(args.profile))
    ok = ratio >= 0.40 and not any(checks[k] for k in checks if k != "bookings")
    print(f"journey ≥ 0.40 of (bare ÷ 5), checks clean: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
