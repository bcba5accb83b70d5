"""A network thermal printer for tests: a TCP server on 127.0.0.1 that keeps the bytes of
every job sent to it, as an ESC/POS printer on port 9100 receives them."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Printer(socketserver.TCPServer):
    """A thermal printer on 127.0.0.1 that keeps every job it is sent, one per connection."""

    allow_reuse_address = True

    def __init__(self) -> None:
        self.jobs: list[bytes] = []
        self.received = threading.Condition()
        super().__init__(("127.0.0.1", 0), Job)

    def printed(self, count: int, timeout: float = 5.0) -> list[bytes]:
        """The jobs, once `count` of them have arrived (the sender may close before the
        printer's thread has kept the last one)."""
        with self.received:
            self.received.wait_for(lambda: len(self.jobs) >= count, timeout)
            return list(self.jobs)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class Job(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        assert isinstance(self.server, Printer)
        job = self.rfile.read()  # until the sender closes
        with self.server.received:
            self.server.jobs.append(job)
            self.server.received.notify_all()


@contextmanager
def printing() -> Iterator[Printer]:
    """A Printer listening in a thread of its own while the block runs."""
    server = Printer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
