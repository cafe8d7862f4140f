"""One function run in a forked child process, beside this one, for work that splits in two.

The child inherits everything this process holds (specs, models, compiled templates: nothing is
pickled) and sends back its result as :mod:`marshal` data (plain ``dict``/``list``/``str``/numbers),
so only what it made crosses the pipe. It is an optimisation, never a requirement: where ``fork`` is
not safe or not worth it (not Linux, another thread running, one CPU, ``GITOPS_GEN_JOBS=1``)
:func:`start` returns ``None``, and when the child fails, :meth:`Forked.result` returns ``None``; the
caller then does the work itself, so the outcome is the same either way.

The child never runs this process's exit handlers or flushes its buffers (``os._exit``), and writes
nothing but its result.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import sys
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

__all__ = ["Beside", "Forked", "cpus", "start", "worthwhile"]

T = TypeVar("T")

#: read and write size of the result pipe
_CHUNK = 1 << 20


class Forked(Generic[T]):
    """A child computing ``fn()``; :meth:`result` waits for it (once), :meth:`cancel` stops it."""

    __slots__ = ("_fd", "_pid")

    def __init__(self, pid: int, fd: int) -> None:
        self._pid, self._fd = pid, fd

    def result(self) -> T | None:
        """The child's value, or ``None`` when it failed (or was already collected)."""
        if self._fd < 0:
            return None
        parts: list[bytes] = []
        try:
            while chunk := os.read(self._fd, _CHUNK):
                parts.append(chunk)
        except OSError:
            parts = []
        finally:
            os.close(self._fd)
            self._fd = -1
        if not _exited_cleanly(self._pid):
            return None
        try:
            value: T = marshal.loads(b"".join(parts))
        except (EOFError, ValueError, TypeError):
            return None
        return value

    def cancel(self) -> None:
        """Stop the child unless its result was collected (the caller no longer needs it)."""
        if self._fd < 0:
            return
        os.close(self._fd)
        self._fd = -1
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)
        _exited_cleanly(self._pid)


def _exited_cleanly(pid: int) -> bool:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return False
    return os.waitstatus_to_exitcode(status) == 0


def cpus() -> int:
    """The CPUs this process may use (its affinity), at most ``GITOPS_GEN_JOBS`` when that is a positive
    integer (``1``: gitops-gen runs everything in one process; a container's CPU quota is not seen in
    its affinity)."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        count = os.cpu_count() or 1
    cap = os.environ.get("GITOPS_GEN_JOBS", "").strip()
    if cap.isdecimal() and 0 < int(cap) < count:
        return int(cap)
    return max(count, 1)


def worthwhile() -> bool:
    """Whether a forked child can run beside this process: Linux, no other Python thread running (a
    library caller's), and more than one CPU for this process (:func:`cpus`)."""
    if not sys.platform.startswith("linux"):
        return False
    threading = sys.modules.get("threading")  # not imported: no other Python thread
    if threading is not None and threading.active_count() > 1:
        return False  # a lock another thread holds (an import's, say) would stay held in the child
    return cpus() > 1


def start(fn: Callable[[], T]) -> Forked[T] | None:
    """``fn()`` computing in a forked child; ``None`` when no child is started (see :func:`worthwhile`).
    ``fn`` must return marshal-able data."""
    if not worthwhile():
        return None
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return None
    sys.stdout.flush()  # the child must not write out what this process has buffered
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the child
        code = 0
        try:
            os.close(read_fd)
            data = memoryview(marshal.dumps(cast(Any, fn())))
            while data:
                data = data[os.write(write_fd, data[:_CHUNK]) :]
        except BaseException:  # the parent does the work itself; never a traceback from here
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return Forked(pid, read_fd)


class Beside(Generic[T]):
    """``fn()`` computed in a forked child (:func:`start`) while this process goes on, or here at once
    when ``fork`` is false or no child can run. :meth:`value` gives it (computed here when the child
    failed); :meth:`cancel` stops a child whose value is no longer wanted."""

    __slots__ = ("_child", "_done", "_fn", "_value")

    def __init__(self, fn: Callable[[], T], *, fork: bool = True) -> None:
        self._fn = fn
        self._child = start(fn) if fork else None
        self._done = self._child is None
        self._value = fn() if self._done else None

    def value(self) -> T:
        if not self._done:
            assert self._child is not None
            got = self._child.result()
            self._value, self._done = (got if got is not None else self._fn()), True
        return cast(T, self._value)

    def cancel(self) -> None:
        if not self._done and self._child is not None:
            self._child.cancel()
