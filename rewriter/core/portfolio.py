"""Independent searches side by side, one process each: a portfolio on several cores.

A search is one core's work; on a machine with several, the cheapest way to use them is to run
independent searches (different seeds) at once and keep the best. :func:`run_side_by_side`
calls one module-level function per process and returns what each returned.

Ctrl-C: the workers ignore SIGINT (a Ctrl-C in a terminal reaches the whole process group), and
the parent, when it gets one, sets a shared stop flag that every worker's search checks between
chunks (:func:`rewriter.core.interrupt.watch`). Each search then ends as on a Ctrl-C of its own,
with its best so far, and the parent returns them all, marked as interrupted.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from typing import Any, Callable

from . import interrupt

#: how long the parent waits, after a Ctrl-C, for the searches to return their best
GRACE_SECONDS = 30.0


def _worker(function: Callable, call: dict, stop, conn) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; see the module docstring
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    interrupt.watch(stop)
    try:
        reply = ("ok", function(**call))
    except BaseException as exc:  # noqa: BLE001 - the parent raises it
        reply = ("error", exc)
    try:
        conn.send(reply)
    except Exception as exc:  # noqa: BLE001 - an exception that does not pickle
        conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    conn.close()


def run_side_by_side(function: Callable, calls: list[dict]) -> tuple[list[Any], bool]:
    """``function(**call)`` for every call, each in its own process; (their results in the order
    of ``calls``, whether a Ctrl-C stopped them). A result is None only when its process ended
    without one (killed, or still running ``GRACE_SECONDS`` after a Ctrl-C). An exception in a
    worker is raised here, after the other workers have been stopped."""
    ctx = multiprocessing.get_context()
    stop = ctx.Event()
    workers = []
    # SIGINT is blocked while the workers start, so none dies of it before it ignores it; one
    # that arrives meanwhile reaches the parent when the mask is restored
    masked = hasattr(signal, "pthread_sigmask")
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if masked else None
    try:
        for call in calls:
            here, there = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(function, call, stop, there), daemon=True,
                               name="rewriter-search")
            proc.start()
            there.close()
            workers.append((proc, here))
    finally:
        if masked:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
    results: list[Any] = [None] * len(calls)
    interrupted = False
    try:
        interrupted = _collect(workers, results, stop)
    finally:
        stop.set()
        for proc, conn in workers:
            proc.join(1.0)
            if proc.is_alive():
                proc.kill()
                proc.join()
            conn.close()
    errors = [r[1] for r in results if isinstance(r, tuple) and r and r[0] == "error"]
    if errors:
        raise errors[0]
    return [r[1] if r is not None else None for r in results], interrupted


def _collect(workers, results: list, stop) -> bool:
    """Fill ``results`` with the workers' replies; True if a Ctrl-C stopped them. While it
    waits, a Ctrl-C only sets the stop flag (an exception here could cut a reply in half)."""
    stopped = []

    def on_sigint(signum, frame):
        stopped.append(time.monotonic())
        stop.set()

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_sigint) if main else None
    try:
        waiting = dict(enumerate(workers))
        while waiting:
            for k, (proc, conn) in list(waiting.items()):
                if conn.poll(0.02):
                    try:
                        results[k] = conn.recv()
                        if results[k][0] == "error":
                            stop.set()  # the others stop with their best; then it is raised
                    except EOFError:  # ended without a reply
                        pass
                    del waiting[k]
                elif not proc.is_alive() and not conn.poll():
                    del waiting[k]
            if stopped and time.monotonic() > stopped[0] + GRACE_SECONDS:
                break
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
    return bool(stopped)
