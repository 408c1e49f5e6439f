"""Run a command and measure it: wall time and peak RSS of its whole process tree.

No psutil (not a dependency): every `interval` seconds the tree is found from /proc/<pid>/stat
(parent ids) and the resident sets of its processes (/proc/<pid>/statm) are summed. Pages two
processes share count twice, so the figure errs high, never low. A process that lives shorter
than one interval can be missed.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measured:
    returncode: int
    seconds: float
    peak_rss_bytes: int
    output: str
    # Peak RSS of each kind of process in the tree (e.g. "cdp run", "dbt build"), on its own.
    peak_by_process: dict[str, int] = field(default_factory=dict)


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process on the machine."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) is in parentheses and may hold spaces: split after it.
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _name(pid: int) -> str:
    """A short name for a process: its program and first argument ("cdp run", "dbt build")."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [Path(a.decode(errors="replace")).name for a in argv if a]
    if len(words) > 1 and words[0].startswith("python"):
        words = words[1:]
    return " ".join(words[:2])[:60]


def tree_rss(root: int) -> dict[int, int]:
    """Resident bytes of `root` and each of its descendants now, by pid."""
    children = _children()
    rss, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            rss[pid] = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(children.get(pid, []))
    return rss


def run_measured(cmd: list[str], env: dict[str, str], cwd: Path | None = None,
                 interval: float = 0.2, log: Path | None = None) -> Measured:
    """Run `cmd` to the end; its stdout+stderr is returned (and written to `log` if given)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    peak = 0
    by_pid: dict[int, tuple[str, int]] = {}
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            rss = tree_rss(proc.pid)
            peak = max(peak, sum(rss.values()))
            for pid, size in rss.items():
                name, before = by_pid.get(pid) or (_name(pid), 0)
                by_pid[pid] = (name, max(before, size))
            done.wait(interval)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    lines = []
    with open(log or os.devnull, "w") as sink:
        for line in proc.stdout or ():  # copied to `log` as it comes, to follow a long run
            lines.append(line)
            sink.write(line)
            sink.flush()
    returncode = proc.wait()
    seconds = time.perf_counter() - started
    done.set()
    poller.join()
    by_name: dict[str, int] = {}
    for name, size in by_pid.values():
        by_name[name] = max(by_name.get(name, 0), size)
    return Measured(returncode, seconds, peak, "".join(lines), by_name)
