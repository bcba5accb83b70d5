"""Request bodies a client stopped sending: the client's fault, a 400 and one WARNING line.

A client that closes or resets its connection part-way through a body makes the server's
input stream raise (werkzeug's server: OSError for a chunked body cut short, a reset;
gunicorn: NoMoreData, ConnectionResetError, its own errors for broken chunks) or end before
the Content-Length. Left alone, whatever reads the body first (a view's form or JSON, the
console's CSRF check) fails with a 500 and an ERROR traceback for what is no fault of ours.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from werkzeug.exceptions import ClientDisconnected
from werkzeug.wsgi import get_content_length

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)
CUT_OFF = "the request body ended before all of it was sent"


class AbandonedBodies:
    """WSGI: every request's body read through `Body`, so that an abandoned one is a 400."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        stream = environ.get("wsgi.input")
        if stream is not None:
            environ["wsgi.input"] = Body(stream, environ)
        return self.app(environ, start_response)


class Body:
    """`wsgi.input`, read through: an error or an early end is told once, then a 400."""

    def __init__(self, stream: Any, environ: WSGIEnvironment) -> None:
        self._stream = stream
        self._environ = environ
        self._expected = get_content_length(environ)  # None: chunked, or no length given
        self._got = 0
        self._abandoned = False

    def read(self, size: int | None = -1) -> bytes:
        whole = size is None or size < 0
        data: bytes = self._guard(lambda: self._stream.read() if whole else self._stream.read(size))
        self._count(len(data), None if whole else size)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        def into() -> int:
            if hasattr(self._stream, "readinto"):
                return int(self._stream.readinto(buffer) or 0)
            data = self._stream.read(len(buffer))
            buffer[: len(data)] = data
            return len(data)

        got: int = self._guard(into)
        self._count(got, len(buffer))
        return got

    def readline(self, size: int | None = -1) -> bytes:
        limit = -1 if size is None else size
        line: bytes = self._guard(lambda: self._stream.readline(limit))
        self._count(len(line), 1 if limit != 0 else 0)  # short is normal, nothing at all is not
        return line

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(self)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def readable(self) -> bool:
        return True

    def _guard(self, read: Callable[[], Any]) -> Any:
        if self._abandoned:
            raise ClientDisconnected(CUT_OFF)
        try:
            return read()
        except ClientDisconnected:
            raise
        except Exception as error:
            if not _about_the_body(error):
                raise
            self._abandon(type(error).__name__)

    def _count(self, got: int, wanted: int | None) -> None:
        """A server's read ends short only at the end of what came: before the Content-Length,
        the client stopped sending (werkzeug's server and gunicorn both read until then)."""
        before, self._got = self._got, self._got + got
        if self._expected is None or self._got >= self._expected:
            return
        if wanted is None or got < min(wanted, self._expected - before):
            self._abandon("the connection ended")

    def _abandon(self, why: str) -> NoReturn:
        self._abandoned = True
        environ = self._environ
        if self._expected is None:
            sent = f"{self._got} bytes of a chunked body"
        else:
            sent = f"{self._got} of {self._expected} bytes"
        log.warning(
            "client abandoned its request body: %s %r after %s (%s)",
            environ.get("REQUEST_METHOD", "?"),
            environ.get("PATH_INFO", "")[:100],
            sent,
            why,
        )
        raise ClientDisconnected(CUT_OFF)


def _about_the_body(error: Exception) -> bool:
    """What a server's input stream raises for bytes that broke off or were malformed.

    OSError: a reset connection, werkzeug's cut chunk, gunicorn's NoMoreData; ValueError, as
    werkzeug's own LimitedStream counts it (a stream closed under the reader); gunicorn's
    complaints about a chunk's framing are its http parser's, not OSErrors.
    """
    if isinstance(error, (OSError, ValueError)):
        return True
    return type(error).__module__ == "gunicorn.http.errors"
