"""Compiled kernels before the clock starts: a time limit is about the search, not about numba.

numba compiles a kernel the first time it is called with a given signature, or loads it from
its cache on disk when an earlier run compiled it. On a fresh install the compiling takes from a
few seconds to tens of seconds per method; charged to a search with a time limit, it would eat
the budget (a 5 s search on a cold cache made 16 moves instead of 900). So :func:`solve` first
runs the chosen method once, untimed, on the problem's small warm-up instance with a few steps
(:func:`prepare`): every kernel the method calls is compiled or loaded then, and only what the
method needs. The time it took is the result's ``compile_s``, reported apart from the search's
``runtime_s``. When numba really compiles, one line on stderr says so (:func:`compile_notice`).

``rewriter warmup`` (and ``make install``) prepare every policy of every problem ahead of time,
so that even the first run after an install loads its kernels from the cache.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

from .core import interrupt
from .errors import InputError, is_interrupt

#: steps of the untimed warm-up run: enough for a search to call each of its kernels, and for
#: the learned controller (which acts between slices of tabu moves) to act more than once
WARM_UP_STEPS = {"controlled": 5_000, "learned": 40, "lns": 1}
#: policies whose warm-up needs a time limit too: lns polishes with tabu search until it stalls
#: before its first rewrite (seconds on ta01 without a limit)
WARM_UP_SECONDS = {"lns": 1.0}
DEFAULT_WARM_UP_STEPS = 4

#: (problem, init, policy, options) already prepared in this process
_PREPARED: set[tuple] = set()


@contextmanager
def compile_notice(stream=None, what: str = "kernels"):
    """Say on ``stream`` (default stderr) when numba starts compiling inside the block, and how
    long the block took once it ends, on one line; say nothing when every kernel was already
    compiled or came from numba's cache. Yields a dict whose ``compiled`` is then True or False.
    """
    from numba.core import event

    state = {"compiled": False}
    out = stream if stream is not None else sys.stderr
    started = time.perf_counter()

    class Notice(event.Listener):
        def on_start(self, ev):
            if not state["compiled"]:
                state["compiled"] = True
                _write(out, f"rewriter: compiling {what} once (numba caches them for later "
                            "runs) ...")

        def on_end(self, ev):
            pass

    listener = Notice()
    event.register("numba:compile", listener)
    try:
        yield state
    finally:
        event.unregister("numba:compile", listener)
        if state["compiled"]:
            _write(out, f" {time.perf_counter() - started:.1f} s\n")


def _write(stream, text: str) -> None:
    """Best effort: a notice must not turn a closed or full stderr into a failed solve."""
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        pass


def prepare(spec, *, init: str, policy: str, options: dict | None = None,
            stream=None) -> float:
    """Run ``policy`` from ``init`` (with the problem's ``options``) once on ``spec``'s warm-up
    instance, untimed, so that the kernels it calls are compiled or loaded; the seconds it took
    (0.0 when this process prepared the same method before, or the problem has no warm-up
    instance). A failure of the warm-up run is not this function's to report: the real solve
    meets the same problem and reports it. A Ctrl-C propagates."""
    options = {k: v for k, v in (options or {}).items()
               if k not in ("time_limit", "progress", "steps", "seed")}
    key = (spec.name, init, policy, _frozen(options))
    if key in _PREPARED or not spec.warm_up_instance:
        return 0.0
    started = time.perf_counter()
    with interrupt.recording(), compile_notice(stream, f"the kernels of {policy}"):
        try:
            instance = spec.load_instance(spec.warm_up_instance)
            limit = WARM_UP_SECONDS.get(policy)
            result = spec.run(instance, init=init, policy=policy,
                                steps=WARM_UP_STEPS.get(policy, DEFAULT_WARM_UP_STEPS),
                                seed=0, progress=False,
                                **({"time_limit": limit} if limit else {}), **options)
        except (KeyboardInterrupt, SystemError) as exc:
            if not is_interrupt(exc):
                raise
            raise KeyboardInterrupt from None
        except (InputError, OSError, ValueError, RuntimeError):
            return time.perf_counter() - started
        interrupt.check()
    if getattr(result, "status", None) == "interrupted":
        raise KeyboardInterrupt  # the search kept the Ctrl-C as a status; the solve must stop
    _PREPARED.add(key)
    return time.perf_counter() - started


def _frozen(options: dict) -> tuple:
    """``options`` as a hashable key (values that are not hashable by their repr)."""
    return tuple(sorted((k, repr(v)) for k, v in options.items()))


def solve(spec, instance, *, init: str, policy: str, warm_up: bool = True, stream=None,
          **options):
    """``spec.run(instance, init=..., policy=..., **options)`` with the method's kernels
    prepared first (``warm_up``); the result's ``compile_s`` is the time that took."""
    compile_s = 0.0
    if warm_up and options.get("method", "search") in spec.searching_methods:
        # a method that runs the search inside (crew's cluster) needs the search's kernels
        compile_s = prepare(spec, init=init, policy=policy,
                            options={**options, "method": "search"} if "method" in options
                            else options, stream=stream)
    result = spec.run(instance, init=init, policy=policy, **options)
    result.compile_s = compile_s
    return result
