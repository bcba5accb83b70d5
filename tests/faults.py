"""Throwaway servers for fault tests: a Redis and a PostgreSQL of the test's own, each on a port
of its own, which the test may kill and start again (never the shared ones other tests use);
and Antre's own processes (`antre serve`, `antre worker`) started as production starts them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayRedis:
    """`redis-server` on 127.0.0.1:`port`, keeping nothing on disk, started and killed at will."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def missing() -> str | None:
        return None if shutil.which("redis-server") else "redis-server is not installed"

    def start(self) -> ThrowawayRedis:
        self.workdir.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        with (self.workdir / "redis.log").open("ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not self._answers():
            assert time.monotonic() < deadline, "the throwaway Redis did not start"
            time.sleep(0.05)
        return self

    def kill(self) -> None:
        """Gone at once, as a crashed Redis: no goodbye to its clients."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def _postgres_bin(name: str) -> str | None:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else None


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own on 127.0.0.1:`port` (trust, no password), crash-stopped
    and started at will; never the shared server on 5432. Its files live in a directory of its
    own under the system's temporary directory, not pytest's: as root it runs as the postgres
    user, who must reach them, and every pytest run makes pytest's base directory 0700 again."""

    def __init__(self, port: int | None = None) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="antre-postgres-"))
        self.port = port or free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def missing() -> str | None:
        if _postgres_bin("initdb") is None or _postgres_bin("pg_ctl") is None:
            return "initdb/pg_ctl are not installed"
        return None

    def _run(self, *command: str) -> None:
        # PostgreSQL refuses to run as root: as root, run it as the postgres user.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run(prefix + list(command), capture_output=True, timeout=60, text=True)
        assert done.returncode == 0, f"{command[0]} failed: {done.stdout}{done.stderr}"

    def start(self) -> ThrowawayPostgres:
        data = self.workdir / "data"
        if not data.exists():
            if os.geteuid() == 0:
                shutil.chown(self.workdir, "postgres")
            initdb = str(_postgres_bin("initdb"))
            self._run(initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.workdir} -c fsync=off"
        pg_ctl = str(_postgres_bin("pg_ctl"))
        log = str(self.workdir / "postgres.log")
        self._run(pg_ctl, "-D", str(data), "-o", options, "-l", log, "-w", "start")
        return self

    def remove(self) -> None:
        """Crash-stopped if it runs, and its files gone."""
        if (self.workdir / "data" / "postmaster.pid").exists():
            self.crash()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def crash(self) -> None:
        """`pg_ctl stop -m immediate`: every backend gone at once, recovery on the next start."""
        pg_ctl = str(_postgres_bin("pg_ctl"))
        self._run(pg_ctl, "-D", str(self.workdir / "data"), "-m", "immediate", "-w", "stop")


def antre_process(
    arguments: list[str], settings: dict[str, Any], workdir: Path, log_name: str
) -> subprocess.Popen[bytes]:
    """`antre <arguments>` as production runs it: a process of its own, its settings from the
    environment (DATABASE_URL, REDIS_URL, ANTRE_*), its output in `workdir`/`log_name`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ANTRE_")}
    for name, value in settings.items():
        key = name if name in ("DATABASE_URL", "REDIS_URL") else f"ANTRE_{name}"
        environment[key] = str(value)
    with (workdir / log_name).open("ab") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-c", "from antre.cli import main; main()", *arguments],
            env=environment,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def start_worker(settings: dict[str, Any], workdir: Path, *options: str) -> subprocess.Popen[bytes]:
    """`antre worker [options]`, logging to `workdir`/worker.log."""
    return antre_process(["worker", *options], settings, workdir, "worker.log")


def start_server(settings: dict[str, Any], workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`antre serve` on a free loopback port, once it listens; returns it and its base URL."""
    port = free_port()
    server = antre_process(["serve", "--port", str(port)], settings, workdir, "server.log")
    deadline = time.monotonic() + 30
    while True:
        assert server.poll() is None, f"antre serve exited with {server.returncode}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            assert time.monotonic() < deadline, "antre serve did not listen within 30 s"
            time.sleep(0.05)


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM, as a supervisor stops it; SIGKILL if it does not go within `timeout`."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
