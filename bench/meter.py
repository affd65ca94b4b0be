"""Per-stage wall time, CPU time and peak memory, for the scale benchmark.

- wall: `time.perf_counter`;
- CPU: `time.process_time` of this process plus the user + system time of child processes
  that finished during the stage (`resource.getrusage(RUSAGE_CHILDREN)`: statsforecast's
  worker processes count once they are reaped);
- peak memory: the resident set of this process and all its descendants (read from
  `/proc/<pid>/statm` and `/proc/<pid>/task/*/children`, Linux), sampled every 50 ms by a
  background thread. While there are descendants, each process counts its proportional
  set size instead (`/proc/<pid>/smaps_rollup`, Pss): forked workers (statsforecast's) map
  the parent's pages, and summing resident sets would count those pages once per process; a stage's peak is the largest sample taken while it ran. The whole
  run also reports `ru_maxrss` of this process (its own high-water mark, children excluded).

Stages may nest (plan > forecast): each open stage sees every sample.
"""

from __future__ import annotations

import functools
import os
import resource
import threading
import time
from contextlib import contextmanager
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            out.extend(int(c) for c in text)
    except OSError:
        pass
    return out


def _pss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    raise ValueError("no Pss line")


def tree_memory_bytes(pid: int | None = None) -> int:
    """Memory of `pid` (default: this process) and every descendant: its resident bytes
    alone, or with descendants the sum of their proportional set sizes (shared pages
    divided among the processes that map them)."""
    root = pid or os.getpid()
    tree, todo = [], [root]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(_children(p))
    total = 0
    for p in tree:
        try:
            total += (int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
                      if len(tree) == 1 else _pss_bytes(p))
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
    return total


def _cpu() -> float:
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


class Meter:
    """Collects {stage: {wall_s, cpu_s, peak_rss_mb}}; `stage(name)` measures a block."""

    def __init__(self, interval: float = 0.05, sink=None):
        self.sink = sink  # called with the stages after each one ends (partial results)
        self.stages: dict[str, dict[str, float]] = {}
        self._open: dict[str, int] = {}
        self._peak_all = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._interval = interval
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            rss = tree_memory_bytes()
            with self._lock:
                self._peak_all = max(self._peak_all, rss)
                for name in self._open:
                    self._open[name] = max(self._open[name], rss)
            self._stop.wait(self._interval)

    @contextmanager
    def stage(self, name: str):
        with self._lock:
            self._open[name] = tree_memory_bytes()
        t0, c0 = time.perf_counter(), _cpu()
        try:
            yield
        finally:
            wall, cpu = time.perf_counter() - t0, _cpu() - c0
            with self._lock:
                peak = max(self._open.pop(name), tree_memory_bytes())
            prev = self.stages.get(name, {"wall_s": 0.0, "cpu_s": 0.0, "peak_rss_mb": 0.0})
            self.stages[name] = {"wall_s": round(prev["wall_s"] + wall, 3),
                                 "cpu_s": round(prev["cpu_s"] + cpu, 3),
                                 "peak_rss_mb": round(max(prev["peak_rss_mb"], peak / 2**20), 1)}
            if self.sink is not None:
                self.sink(self.stages)

    def wrap(self, name: str, fn):
        """`fn` measured as stage `name` on every call (same signature, for Prefect too)."""
        @functools.wraps(fn)
        def measured(*args, **kwargs):
            with self.stage(name):
                return fn(*args, **kwargs)
        return measured

    def close(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"peak_rss_mb": round(max(self._peak_all, tree_memory_bytes()) / 2**20, 1),
                "ru_maxrss_self_mb": round(own, 1)}
