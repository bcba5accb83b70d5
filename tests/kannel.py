"""A real Kannel 1.4.5 (Debian's `kannel` + `kannel-extras`) for end-to-end SMS tests.

    bearerbox  — the core; its `smsc = fake` connection listens for one fakesmsc client
    smsbox     — calls Antre's inbound URL for each MO; serves /cgi-bin/sendsms for Antre's MTs
    fakesmsc   — the "phone network": we type MO lines on its stdin, it logs the MTs it gets

Everything listens on 127.0.0.1 on free ports chosen at start, with a config and the logs in
`workdir` (the system's /etc/kannel and any Kannel service are never used). Use:

    with running_kannel("http://127.0.0.1:5000/sms/kannel/incoming?key=s", tmp_path) as kannel:
        kannel.send_mo("+6281234567890", "1234", "ANTRE UMUM BESOK")  # Kannel GETs the URL
        ...  # Antre answers, then calls kannel.sendsms_url (username/password below)
        [mt] = kannel.wait_for_mt()                                   # what the phone got

What the fake SMSC does (established by running it, see deploy/kannel/kannel.conf):
- each MT written to fakesmsc counts as sent and delivered: with 8 in the dlr-mask Kannel
  calls the dlr-url with %d=8 (%A "ACK/"), with 1 in it with %d=1 (%A empty); never with
  2, 4 or 16. The two calls are separate HTTP requests: either may come first.
- while fakesmsc is disconnected (`disconnect_smsc`), sendsms answers 202 "3: Queued for
  later delivery" and Kannel delivers the queue when it reconnects (`connect_smsc`).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Literal

BEARERBOX = Path("/usr/sbin/bearerbox")  # Debian's `kannel`
SMSBOX = Path("/usr/sbin/smsbox")
FAKESMSC = Path("/usr/lib/kannel/test/fakesmsc")  # Debian's `kannel-extras`
SMSC_ID = "FAKE"

# fakesmsc reads stdin with fgets() into a 256-byte buffer: a longer line would be cut in two
# messages, so refuse it (an MO line is "sender receiver type data\n").
_MAX_MO_LINE = 255
_GOT_MESSAGE = re.compile(rb"Got message \d+: <(.*)>$")
_SENT_MESSAGE = re.compile(rb"fakesmsc: sent message (\d+)$")
_MT_START = re.compile(r"\S+ \S+ (text|data|ucs-2|udh) ")
# A newline in an MT's text ends smsc_fake's line: fakesmsc logs the rest as more "messages",
# right after. wait_for_mt lets fakesmsc's output settle this long before it answers.
_SETTLE = 0.05


def kannel_available() -> str | None:
    """None when Kannel can run here, else what is missing (a reason to skip)."""
    missing = [str(p) for p in (BEARERBOX, SMSBOX, FAKESMSC) if not p.is_file()]
    if shutil.which("stdbuf") is None:
        missing.append("stdbuf (coreutils)")
    if missing:
        return "Kannel not installed (apt-get install kannel kannel-extras): " + ", ".join(missing)
    return None


@dataclass(frozen=True)
class MobileTerminated:
    """An SMS that Kannel delivered to the fake SMSC (one part, when Kannel split it)."""

    sender: str  # sendsms `from`
    receiver: str  # sendsms `to`
    text: str
    kind: str  # how smsc_fake wrote it: "text" (coding 0), "data" (1), "ucs-2" (2), "udh"
    udh: bytes = b""


def _parse_mt(line: str) -> MobileTerminated:
    # smsc_fake writes "sender receiver text <msgdata as is>", or for other codings the data
    # URL-encoded (space as "+"): "... data <8-bit>", "... ucs-2 <UTF-16BE>",
    # "... udh <udh> data <msgdata>". 7-bit text is UTF-8 inside Kannel.
    sender, receiver, kind, rest = line.split(" ", 3)

    def unquote(data: str) -> bytes:
        return urllib.parse.unquote_to_bytes(data.replace("+", " "))

    if kind == "text":
        return MobileTerminated(sender, receiver, rest, kind)
    if kind == "ucs-2":
        return MobileTerminated(sender, receiver, unquote(rest).decode("utf-16-be"), kind)
    if kind == "udh":
        udh, _, data = rest.partition(" data ")
        return MobileTerminated(
            sender, receiver, unquote(data).decode(errors="replace"), kind, unquote(udh)
        )
    return MobileTerminated(sender, receiver, unquote(rest).decode(errors="replace"), kind)


def _free_ports(count: int) -> list[int]:
    # Hold all the sockets until every port is chosen so that the ports differ.
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _quoted(value: str) -> str:
    # Kannel config strings are double-quoted; keep it simple and refuse what needs escaping.
    if any(c in value for c in '"\\\n\r'):
        raise ValueError(f"not allowed in a Kannel config value: {value!r}")
    return f'"{value}"'


def inbound_get_url(incoming_url: str) -> str:
    """The sms-service get-url that calls `incoming_url` with Antre's query for each MO.

    Kannel expands %X escapes in the whole URL, so a literal "%" (say "%2F" in a key) must be
    written "%%". %a is the text URL-encoded (UTF-8, words joined by single "+"); %c/%C are
    the coding and charset, UTF-8 for all text because smsbox has mo-recode.
    """
    separator = "" if incoming_url.endswith(("?", "&")) else "&" if "?" in incoming_url else "?"
    return (
        incoming_url.replace("%", "%%")
        + separator
        + "id=%I&ts=%T&sender=%p&to=%P&message=%a&coding=%c&charset=%C"
    )


def _config(
    workdir: Path,
    incoming_url: str,
    ports: dict[str, int],
    admin_password: str,
    username: str,
    password: str,
    sms_outgoing_queue_limit: int | None,
) -> str:
    queue_limit = (
        f"sms-outgoing-queue-limit = {sms_outgoing_queue_limit}\n"
        if sms_outgoing_queue_limit is not None
        else ""
    )
    return f"""\
# Generated by tests/kannel.py for one test run; see deploy/kannel/kannel.conf for comments.
group = core
admin-port = {ports["admin"]}
admin-interface = 127.0.0.1
admin-password = {_quoted(admin_password)}
admin-deny-ip = "*.*.*.*"
admin-allow-ip = "127.0.0.1"
smsbox-port = {ports["smsbox"]}
smsbox-interface = 127.0.0.1
box-deny-ip = "*.*.*.*"
box-allow-ip = "127.0.0.1"
dlr-storage = internal
{queue_limit}
group = smsc
smsc = fake
smsc-id = {SMSC_ID}
port = {ports["smsc"]}
our-host = 127.0.0.1
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports["smsbox"]}
sendsms-port = {ports["sendsms"]}
sendsms-interface = 127.0.0.1
mo-recode = true
access-log = {_quoted(str(workdir / "smsbox-access.log"))}

group = sendsms-user
username = {_quoted(username)}
password = {_quoted(password)}
concatenation = true
max-messages = 3

group = sms-service
keyword = default
get-url = {_quoted(inbound_get_url(incoming_url))}
omit-empty = true
max-messages = 0
"""


class Kannel:
    """A running bearerbox + smsbox + fakesmsc; made by `running_kannel`."""

    def __init__(self, workdir: Path, incoming_url: str, sms_outgoing_queue_limit: int | None):
        self.workdir = workdir
        ports = dict(zip(("admin", "smsbox", "sendsms", "smsc"), _free_ports(4), strict=True))
        self.smsc_port = ports["smsc"]
        self.smsbox_port = ports["smsbox"]
        self.admin_password = uuid.uuid4().hex
        self.admin_url = f"http://127.0.0.1:{ports['admin']}"
        self.sendsms_url = f"http://127.0.0.1:{ports['sendsms']}/cgi-bin/sendsms"
        self.username = "antre"
        self.password = uuid.uuid4().hex
        self.config = workdir / "kannel.conf"
        self.config.write_text(
            _config(
                workdir,
                incoming_url,
                ports,
                self.admin_password,
                self.username,
                self.password,
                sms_outgoing_queue_limit,
            )
        )
        self._boxes: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []
        self._fakesmsc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._changed = threading.Condition()
        self._mts: list[MobileTerminated] = []
        self._mts_taken = 0
        self._mos_sent = 0  # as counted by fakesmsc ("sent message N"), per connection
        self._output_at = 0.0  # when fakesmsc last wrote a line

    # --- the phone network ---------------------------------------------------------------

    def send_mo(
        self, sender: str, to: str, text: str, *, coding: Literal["text", "ucs2"] = "text"
    ) -> None:
        """A phone `sender` texts `to`; returns once fakesmsc has handed it to bearerbox.

        coding "text" arrives as coding 0 (as from most phones); "ucs2" as UCS-2, as a
        smartphone sends emoji (smsbox's mo-recode still gives Antre UTF-8). Whitespace runs
        in `text` reach Antre as single spaces: that is what %a does.
        """
        if not sender or not to or any(c.isspace() for c in sender + to):
            raise ValueError("sender and to must be non-empty and without spaces")
        if "\n" in text or "\r" in text:
            raise ValueError("fakesmsc takes one line per message: no newlines in the text")
        data = urllib.parse.quote(text.encode("utf-16-be"), safe="") if coding == "ucs2" else text
        line = f"{sender} {to} {coding} {data}\n".encode()
        if len(line) > _MAX_MO_LINE:
            raise ValueError(f"MO line of {len(line)} bytes; fakesmsc reads {_MAX_MO_LINE}")
        with self._changed:
            wanted = self._mos_sent + 1
            self._write_fakesmsc(line)
            self._wait(lambda: self._mos_sent >= wanted, 5.0, "fakesmsc to send the MO")

    def wait_for_mt(self, count: int = 1, timeout: float = 15.0) -> list[MobileTerminated]:
        """Wait for `count` MTs not yet returned; return all the new ones (maybe more)."""

        def arrived() -> bool:
            settled = time.monotonic() - self._output_at > _SETTLE
            return settled and len(self._mts) - self._mts_taken >= count

        with self._changed:
            self._wait(arrived, timeout, f"{count} MT")
            new = self._mts[self._mts_taken :]
            self._mts_taken = len(self._mts)
            return new

    def disconnect_smsc(self) -> None:
        """The SMSC link goes down: MTs are queued in bearerbox ("3: Queued ...")."""
        self._stop_fakesmsc()
        self._wait_status(lambda status: f"{SMSC_ID}:{self.smsc_port} (online" not in status)

    def connect_smsc(self) -> None:
        """(Re)connect fakesmsc; bearerbox then delivers the MTs it had queued."""
        if self._fakesmsc is not None:
            return
        log = self._log("fakesmsc.log")
        # stdbuf -i0: fakesmsc select()s on fd 0 but reads with fgets(); with stdin unbuffered
        # no line waits unseen in a stdio buffer. -i 0: no pause between our MO lines. -v 0:
        # the "Got message"/"sent message" lines we parse are debug-level.
        process = subprocess.Popen(
            f"stdbuf -i0 {FAKESMSC} -H 127.0.0.1 -r {self.smsc_port} -i 0 -v 0".split(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )
        with self._changed:
            self._fakesmsc = process
            self._mos_sent = 0
        self._reader = threading.Thread(
            target=self._read_fakesmsc, args=(process, log), name="fakesmsc", daemon=True
        )
        self._reader.start()
        self._wait_status(lambda status: f"{SMSC_ID}:{self.smsc_port} (online" in status)

    # --- Kannel itself -------------------------------------------------------------------

    def status(self) -> str:
        """bearerbox's status.txt (queues, boxes, SMSC state): handy in assertion messages."""
        url = f"{self.admin_url}/status.txt?password={self.admin_password}"
        with urllib.request.urlopen(url, timeout=2) as response:
            body: bytes = response.read()
        return body.decode(errors="replace")

    def start(self) -> None:
        self._boxes.append(self._start_box(BEARERBOX, "bearerbox.log"))
        # smsbox and fakesmsc give up at once when bearerbox's ports are not there yet; it
        # opens them in threads, after its admin port. (Looked up rather than connected to:
        # bearerbox would take a test connection for a box or the SMSC.)
        ports = (self.smsbox_port, self.smsc_port)
        self._wait_until(lambda: all(map(_listening, ports)), 10.0, "bearerbox's ports")
        self._boxes.append(self._start_box(SMSBOX, "smsbox.log"))
        self.connect_smsc()
        self._wait_status(lambda status: "smsbox:" in status)
        self._wait_until(self._sendsms_answers, 10.0, "smsbox's sendsms port")

    def stop(self) -> None:
        """Kill everything and wait for it. SIGKILL: a graceful stop takes ~2 s per box and a
        test's Kannel keeps nothing worth saving (no store file, DLRs in memory)."""
        self._stop_fakesmsc()
        for box in reversed(self._boxes):
            _kill(box)
        self._boxes.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()

    def logs(self) -> str:
        """The tail of every log, for a failure message."""
        tails = []
        for path in sorted(self.workdir.glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()[-40:]
            tails.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(tails)

    # --- helpers -------------------------------------------------------------------------

    def _log(self, name: str) -> IO[bytes]:
        log = (self.workdir / name).open("ab")
        self._logs.append(log)
        return log

    def _start_box(self, program: Path, log_name: str) -> subprocess.Popen[bytes]:
        log = self._log(log_name)
        # -v 0: debug log on stdout, into workdir; Kannel writes nothing elsewhere.
        return subprocess.Popen(
            [str(program), "-v", "0", str(self.config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )

    def _stop_fakesmsc(self) -> None:
        with self._changed:
            process, self._fakesmsc = self._fakesmsc, None
        if process is not None:
            _kill(process)
        if self._reader is not None:
            self._reader.join(5)
            self._reader = None

    def _read_fakesmsc(self, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
        assert process.stdout is not None
        with process.stdout:
            for raw in process.stdout:
                log.write(raw)
                log.flush()
                with self._changed:
                    self._output_at = time.monotonic()
                    self._parse_output(process, raw.rstrip(b"\r\n"))
                    self._changed.notify_all()

    def _parse_output(self, process: subprocess.Popen[bytes], line: bytes) -> None:
        if got := _GOT_MESSAGE.search(line):
            content = got.group(1).decode(errors="replace")
            last = self._mts[-1] if self._mts else None
            if last is not None and last.kind == "text" and not _MT_START.match(content):
                self._mts[-1] = replace(last, text=f"{last.text}\n{content}")
            else:
                try:
                    self._mts.append(_parse_mt(content))
                except (ValueError, UnicodeDecodeError):
                    self._mts.append(MobileTerminated("", "", content, "unparsed"))
        elif (sent := _SENT_MESSAGE.search(line)) and process is self._fakesmsc:
            self._mos_sent = int(sent.group(1))

    def _write_fakesmsc(self, line: bytes) -> None:
        process = self._fakesmsc
        if process is None or process.stdin is None or process.poll() is not None:
            raise RuntimeError("fakesmsc is not running (disconnect_smsc?)\n" + self.logs())
        try:
            process.stdin.write(line)
            process.stdin.flush()
        except BrokenPipeError:
            raise RuntimeError("fakesmsc exited\n" + self.logs()) from None

    def _wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        # Called with self._changed held. fakesmsc looks at the bearerbox socket only when
        # stdin has a line or after 1 s without: an empty line (which it ignores) every 50 ms
        # makes it log the MTs at once.
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"waited {timeout} s for {what}\n" + self.logs())
            if self._fakesmsc is not None:
                self._write_fakesmsc(b"\n")
            self._changed.wait(min(remaining, 0.05))

    def _wait_until(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            for box in self._boxes:
                if box.poll() is not None:
                    raise RuntimeError(f"{box.args!r} exited ({box.returncode})\n" + self.logs())
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout} s for {what}\n" + self.logs())
            time.sleep(0.02)

    def _wait_status(self, done: Callable[[str], bool], timeout: float = 10.0) -> None:

        def check() -> bool:
            try:
                return done(self.status())
            except OSError:
                return False  # bearerbox's admin port is not up yet

        self._wait_until(check, timeout, "bearerbox's status")

    def _sendsms_answers(self) -> bool:
        try:
            urllib.request.urlopen(self.sendsms_url, timeout=2).close()
        except urllib.error.HTTPError as error:
            error.close()
            return True  # 403 without credentials: smsbox is serving
        except OSError:
            return False
        return True


def _listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port (Linux /proc/net/tcp; state 0A = LISTEN)."""
    local = f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return any(row.split()[1] == local and row.split()[3] == "0A" for row in rows)


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(10)
    if process.stdin is not None:
        process.stdin.close()


@contextmanager
def running_kannel(
    incoming_url: str, workdir: Path, *, sms_outgoing_queue_limit: int | None = None
) -> Iterator[Kannel]:
    """Kannel calling `incoming_url` for each MO, stopped (killed and reaped) on exit.

    sms_outgoing_queue_limit: bearerbox's queue limit, to see sendsms answer 503 "Temporal
    failure, try again later." once that many MTs wait for a disconnected SMSC.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    kannel = Kannel(workdir, incoming_url, sms_outgoing_queue_limit)
    try:
        kannel.start()
        yield kannel
    finally:
        kannel.stop()
