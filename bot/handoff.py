"""Running a message's work on a reply thread, waiting for it no longer than the budget.

The webhook must answer within WeChat's 5 s even when the work takes longer, so the
work runs on another thread and the request thread waits with a timeout. Every message
pays for this hand-off, so it is the least the standard library offers: a SimpleQueue
(C) to the thread and a plain lock released when the work is done. A
ThreadPoolExecutor's Future does the same with Conditions and Python-level bookkeeping,
several times the cost per message under load (bench/breakdown.py).
"""
from __future__ import annotations

import os
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Late(Exception):
    """The budget passed first; the work goes on and finishes on its thread."""


class _Job:
    __slots__ = ("fn", "args", "done", "ok", "value")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]):
        self.fn, self.args = fn, args
        self.done = threading.Lock()
        self.done.acquire()
        self.ok, self.value = False, None


class Handoff:
    """Up to `threads` reply threads, started as they are needed and again in a forked
    child (gunicorn --preload forks workers from a master whose threads they lack)."""

    def __init__(self, threads: int, name: str = "linli-msg"):
        self.threads = max(1, threads)
        self.name = name
        self._reset()
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (alive := ref()) is not None and alive._reset())

    def _reset(self) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started = 0
        self._idle = 0      # threads waiting for work that no job has claimed yet
        self._backlog = 0   # jobs queued while every thread was busy

    def run(self, fn: Callable[..., T], *args: Any, timeout: float) -> T:
        """fn(*args) on a reply thread: its result or its exception; Late past `timeout`."""
        job = _Job(fn, args)
        with self._lock:  # each job claims an idle thread, a new one, or waits its turn
            if self._idle > 0:
                self._idle -= 1
            elif self._started < self.threads:
                self._started += 1
                threading.Thread(target=self._loop, args=(self._jobs,), daemon=True,
                                 name=f"{self.name}-{self._started}").start()
            else:
                self._backlog += 1
        self._jobs.put(job)
        if not job.done.acquire(timeout=timeout):
            raise Late()
        if job.ok:
            return job.value  # type: ignore[no-any-return]
        raise job.value  # type: ignore[misc]

    def _loop(self, jobs: queue.SimpleQueue[_Job | None]) -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            try:
                job.value, job.ok = job.fn(*job.args), True
            except BaseException as exc:  # noqa: BLE001 - raised again in the waiting caller
                job.value = exc                # (work past the budget logs its own errors)
            finally:
                with self._lock:  # take a waiting job next, or wait as an idle thread
                    if self._backlog > 0:
                        self._backlog -= 1
                    else:
                        self._idle += 1
                job.done.release()

    def shutdown(self) -> None:
        for _ in range(self._started):
            self._jobs.put(None)
