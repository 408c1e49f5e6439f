"""The warehouse's run lock: one writing run at a time per warehouse, and who holds it.

DuckDB admits one writing process per file, but only while a connection is open: a run opens and
closes the warehouse many times (each load, the dbt build, the build record), so two runs
interleave, the second one's loads slip in between the first one's steps and the first one's dbt
build is the one that finds the file locked. A whole run therefore holds this lock, from before
its first write to after its last: `cdp run` (and every later command that writes) and each
Dagster run of the project's jobs (the `run_lock` resource, orchestration/run_lock_resource.py),
whoever launched it.

The lock is a file beside the warehouse (`warehouse.duckdb.lock`; for Spark beside its tables'
folder), locked with `fcntl.flock` for as long as the run lasts, and holding a JSON line that
says who holds it: PID, host, boot id, command, run id and start time (UTC). `flock` is the
authority: the kernel releases it when its process ends in any way (SIGKILL included), so a run
that died never blocks the next one. The JSON line is only the description: a holder that ends
normally empties it, so a line found by the next holder is the trace of a run that did not (killed,
machine restarted), and the next holder takes the lock over with a warning saying so. The file
itself is never deleted: deleting a lock file would let two runs lock two different files.

A second writer waits up to CDP_RUN_WAIT_SECONDS (default 0) and then raises `WarehouseBusy`,
whose message is the one line `cdp` prints (exit code 3). Readers never take this lock: the page
and analysts read the published snapshot, and `cdp status` reads it too while a run holds this
lock (status.py). Within one process the lock is re-entrant: `cdp run` takes it, then the Dagster
run it executes in the same process takes it again without waiting for itself.
No Dagster import here: `cdp status` and the sensor read it cheaply.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from dagster_project.settings import Settings

POLL_SECONDS = 0.5
# A lock found held by a line-less or dead holder is tried again this long even with no wait: the
# moment between another run's flock and its line, or a reader's probe (`holder`), is no run.
GRACE_SECONDS = 2.0
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")


def lock_path(settings: Settings) -> Path:
    """`<warehouse>.lock` beside what the engine writes (DuckDB: the warehouse file)."""
    from dagster_project.engines import get_engine  # engines import settings, not this module

    location = get_engine(settings).location(settings)
    return location.with_name(f"{location.name}.lock")


def boot_id() -> str:
    """This machine's boot: a PID recorded before a restart names no process after it."""
    try:
        return BOOT_ID_FILE.read_text().strip()
    except OSError:
        return ""


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) the lock, as written in the lock file."""

    pid: int
    host: str
    boot_id: str
    command: str
    started_at: str  # ISO 8601, UTC
    run_id: str | None = None

    @classmethod
    def of_this_process(cls, command: str, run_id: str | None = None) -> Holder:
        return cls(pid=os.getpid(), host=socket.gethostname(), boot_id=boot_id(),
                   command=command, run_id=run_id,
                   started_at=datetime.now(UTC).isoformat(timespec="seconds"))

    def describe(self) -> str:
        """E.g. `cdp run (pid 4242 on etl-1) since 2026-12-02 17:30:01 UTC, 42 s ago`."""
        since = self.started_at.replace("T", " ").replace("+00:00", " UTC")
        try:
            age = datetime.now(UTC) - datetime.fromisoformat(self.started_at)
            ago = f", {_duration(age.total_seconds())} ago"
        except ValueError:
            ago = ""
        return f"{self.command} (pid {self.pid} on {self.host}) since {since}{ago}"

    def gone_reason(self) -> str | None:
        """Why this holder cannot be running any more, or None when it may be (another host:
        only its own machine can tell; `flock` decides then)."""
        if self.host != socket.gethostname():
            return None
        if self.boot_id and boot_id() and self.boot_id != boot_id():
            return "the machine restarted since"
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return f"pid {self.pid} is no longer running"
        except PermissionError:
            return None  # alive, another user's
        return None


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class WarehouseBusy(Exception):
    """Another run holds the warehouse's run lock; the message is one line saying who and what
    to do."""

    def __init__(self, warehouse: Path, holder: Holder | None, waited: float) -> None:
        self.warehouse, self.holder, self.waited = warehouse, holder, waited
        who = holder.describe() if holder else "another run (it has not said who yet)"
        waited_text = f" after waiting {waited:.0f} s" if waited >= 1 else ""
        super().__init__(
            f"the warehouse {warehouse} is in use by {who}{waited_text}; let it finish "
            "(`cdp status` shows it) and start again, or set CDP_RUN_WAIT_SECONDS to wait "
            "for it")


@dataclass
class _Held:
    fd: int
    holder: Holder
    depth: int = 1


_HELD: dict[Path, _Held] = {}  # the locks this process holds, by lock file
_HELD_GUARD = threading.Lock()


def _read(fd: int) -> Holder | None:
    """The holder line of the lock file, or None when it is empty or unreadable."""
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
        return Holder(**json.loads(text)) if text else None
    except (OSError, ValueError, TypeError):
        return None


def _write(fd: int, holder: Holder | None) -> None:
    os.ftruncate(fd, 0)
    if holder is not None:
        os.pwrite(fd, (json.dumps(asdict(holder)) + "\n").encode(), 0)
    os.fsync(fd)


def _open_locked(path: Path) -> int | None:
    """The lock file, flocked by us; None when another process holds it. Re-opens when the file
    was replaced between open and flock (someone deleted it despite the docs)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    try:
        same = os.fstat(fd).st_ino == path.stat().st_ino
    except FileNotFoundError:
        same = False
    if not same:
        os.close(fd)
        return _open_locked(path)
    return fd


def _acquire(path: Path, holder: Holder, wait_seconds: float,
             on_wait: Callable[[Holder | None], None] | None) -> tuple[int, Holder | None]:
    """The flocked descriptor and the line a previous holder left behind (if any)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    told = False
    while True:
        fd = _open_locked(path)
        if fd is not None:
            previous = _read(fd)
            _write(fd, holder)
            return fd, previous
        current = _peek(path)
        waited = time.monotonic() - started
        settling = current is None or current.gone_reason() is not None
        if waited >= wait_seconds and not (settling and waited < GRACE_SECONDS):
            raise WarehouseBusy(path.with_suffix(""), current, waited)
        if on_wait and not told and current is not None and wait_seconds > 0:
            on_wait(current)
            told = True
        time.sleep(POLL_SECONDS)


def _peek(path: Path) -> Holder | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return _read(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def run_lock(settings: Settings, command: str, run_id: str | None = None,
             wait_seconds: float | None = None,
             on_wait: Callable[[Holder | None], None] | None = None,
             on_takeover: Callable[[str], None] | None = None) -> Iterator[Holder]:
    """Hold the warehouse's run lock for the block; yields the holder (this process's, or the
    enclosing holder when this process holds it already).

    Waits up to `wait_seconds` (default CDP_RUN_WAIT_SECONDS) for another holder, calling
    `on_wait` once with it, then raises `WarehouseBusy`. A line left by a holder that ended
    without releasing (killed, machine restarted) is taken over: `on_takeover` gets a one-line
    warning saying whose."""
    path = lock_path(settings)
    with _HELD_GUARD:
        held = _HELD.get(path)
        if held is not None:
            held.depth += 1
    if held is not None:
        try:
            yield held.holder
        finally:
            with _HELD_GUARD:
                held.depth -= 1
        return
    holder = Holder.of_this_process(command, run_id)
    wait = settings.run_wait_seconds if wait_seconds is None else wait_seconds
    fd, previous = _acquire(path, holder, wait, on_wait)
    if previous is not None and on_takeover is not None:
        reason = previous.gone_reason() or "it no longer holds the lock"
        on_takeover(f"took over the warehouse lock {path} from {previous.describe()}: "
                    f"{reason}; that run did not finish")
    with _HELD_GUARD:
        _HELD[path] = held = _Held(fd, holder)
    try:
        yield holder
    finally:
        with _HELD_GUARD:
            held.depth -= 1
            last = held.depth == 0
            if last:
                del _HELD[path]
        if last:
            try:
                _write(fd, None)  # the next holder finds no trace: this run finished
            finally:
                os.close(fd)  # closing releases the flock


def holder(settings: Settings) -> Holder | None:
    """Who holds the warehouse's run lock now (this process included), or None when no run
    does. A line left by a killed run is no holder: the lock file is free to flock."""
    path = lock_path(settings)
    with _HELD_GUARD:
        if path in _HELD:
            return _HELD[path].holder
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        current = _read(fd)
        if current is None:
            return None  # never held, or released; an acquirer writes its line at once
        if current.gone_reason() is not None:
            return None
        try:
            # A shared flock succeeds only when no run holds the exclusive one; held briefly.
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return current
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
