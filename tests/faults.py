"""Throwaway servers for fault tests: a Redis and a PostgreSQL of the test's own, each on a port
of its own, which the test may kill and start again (never the shared ones other tests use)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path


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
    """A PostgreSQL cluster of its own in `workdir` on 127.0.0.1:`port` (trust, no password),
    crash-stopped and started at will; never the shared server on 5432."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
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
        subprocess.run(prefix + list(command), check=True, capture_output=True, timeout=60)

    def start(self) -> ThrowawayPostgres:
        data = self.workdir / "data"
        if not data.exists():
            self.workdir.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.workdir, "postgres")
                self.workdir.chmod(0o755)
                for parent in self.workdir.parents:  # pytest's tmp dirs are 0700
                    if parent == Path("/tmp") or parent == Path("/"):
                        break
                    parent.chmod(parent.stat().st_mode | 0o111)
            initdb = str(_postgres_bin("initdb"))
            self._run(initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.workdir} -c fsync=off"
        pg_ctl = str(_postgres_bin("pg_ctl"))
        log = str(self.workdir / "postgres.log")
        self._run(pg_ctl, "-D", str(data), "-o", options, "-l", log, "-w", "start")
        return self

    def crash(self) -> None:
        """`pg_ctl stop -m immediate`: every backend gone at once, recovery on the next start."""
        pg_ctl = str(_postgres_bin("pg_ctl"))
        self._run(pg_ctl, "-D", str(self.workdir / "data"), "-m", "immediate", "-w", "stop")
