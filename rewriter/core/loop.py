"""The one search loop every method runs in: step and time limits, trace, progress and Ctrl-C.

A search is a :class:`Stepper`: it advances by up to ``n`` steps at a time and reports the new
best costs it found. :func:`run` calls it in chunks sized to about 20 ms, so a time limit or
Ctrl-C is honoured promptly whether a step is a numba move (microseconds) or a network
evaluation (milliseconds), and it always returns the best solution found with a status saying
why the search stopped. A stepper whose single step can take longer (the flexible shop's full
neighbourhood scan at 1000 x 200: seconds) returns from a call in the middle of a step, having
done fewer steps than asked, and resumes the step on the next call; the loop checks the limits
between calls either way.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from . import interrupt
from .progress import Progress
from ..errors import is_interrupt

#: a chunk of steps lasts about this long, so limits and Ctrl-C are honoured promptly
CHUNK_SECONDS = 0.02


class Stepper(ABC):
    """One search between chunks: its current and best solution and its counters."""

    #: steps in the first chunk (1 for expensive steps, more for cheap ones)
    first_chunk: int = 1
    #: largest chunk
    max_chunk: int = 1 << 14

    def __init__(self, initial_cost: float):
        self.initial_cost = initial_cost
        self.best_cost = initial_cost
        self.steps = 0
        self.restarts = 0

    @abstractmethod
    def advance(self, n: int) -> tuple[int, str | None, list[tuple[int, float]]]:
        """Run up to ``n`` steps: (steps done, a final status or None, new bests as (step, cost))."""

    @abstractmethod
    def best(self) -> Any:
        """The best solution found so far (a copy the search will not change)."""


@dataclass
class SearchOutcome:
    best: Any
    best_cost: float
    initial_cost: float
    steps: int
    runtime_s: float
    status: str  # completed | local_optimum | optimal | stuck | time_limit | interrupted
    trace: list[tuple[int, float, float]] = field(default_factory=list)  # (step, s, best cost)
    restarts: int = 0


def run(search: Stepper, steps: int | None, *, time_limit: float | None = None,
        progress: bool | str = False, desc: str = "search", keep_on_interrupt: bool = True,
        started: float | None = None) -> SearchOutcome:
    """Advance ``search`` until ``steps`` steps (None: no step limit), ``time_limit`` seconds since
    ``started`` (default: now), a final status, or Ctrl-C; the first call to ``advance`` always
    runs, so a search that has to load compiled code first still makes progress. Ctrl-C ends the
    search with the best solution so far (status ``interrupted``) unless ``keep_on_interrupt`` is
    False, in which case it propagates (training must stop the run, not end one validation
    search)."""
    t0 = time.perf_counter() if started is None else started
    deadline = None if time_limit is None else t0 + time_limit
    budget = float("inf") if steps is None else int(steps)
    trace = [(0, 0.0, search.initial_cost)]
    bar = Progress(None if steps is None else budget, desc, "steps", mode=progress)
    try:
        with interrupt.recording():
            status = _advance(search, budget, deadline, t0, trace, bar)
    except (KeyboardInterrupt, SystemError) as exc:
        if not isinstance(exc, KeyboardInterrupt) and not is_interrupt(exc):
            raise
        interrupt.handled()
        if not keep_on_interrupt:
            raise KeyboardInterrupt from None
        status = "interrupted"
    finally:
        bar.close()
    runtime = time.perf_counter() - t0
    trace.append((search.steps, round(runtime, 4), search.best_cost))
    return SearchOutcome(search.best(), search.best_cost, search.initial_cost, search.steps,
                         runtime, status, trace, search.restarts)


def _advance(search: Stepper, budget: float, deadline: float | None, t0: float, trace: list,
             bar: Progress) -> str:
    """Advance ``search`` chunk by chunk to the step budget, the deadline or a final status;
    return the status (a Ctrl-C raises)."""
    chunk = search.first_chunk
    status = "completed"
    calls = 0
    unfinished = 0.0  # seconds spent on a step that calls returning mid-step have not finished
    while search.steps < budget:
        interrupt.check()  # a Ctrl-C that numba swallowed while it compiled the last chunk
        now = time.perf_counter()
        if calls > 0 and deadline is not None and now >= deadline:
            status = "time_limit"
            break
        n = int(min(chunk, budget - search.steps))
        done, finished, bests = search.advance(n)
        calls += 1
        spent = time.perf_counter() - now + unfinished
        unfinished = 0.0 if done > 0 else spent
        stamp = round(time.perf_counter() - t0, 4)
        trace.extend((step, stamp, cost) for step, cost in bests)
        bar.update(done, best=search.best_cost)
        if finished:
            status = finished
            break
        chunk = _next_chunk(chunk, done, spent, deadline, search.max_chunk)
    interrupt.check()  # the last chunk's, too: a lost Ctrl-C must not read as a finished search
    return status


def _next_chunk(chunk: int, done: int, spent: float, deadline: float | None, largest: int) -> int:
    """Size the next chunk to last about CHUNK_SECONDS and to end near the deadline (``spent``
    includes the calls that returned in the middle of the first step ``done`` counts)."""
    if done <= 0:
        return chunk
    per_step = max(spent, 1e-6) / done
    chunk = int(min(max(CHUNK_SECONDS / per_step, 1), largest))
    if deadline is not None:
        remaining = deadline - time.perf_counter()
        chunk = max(1, min(chunk, int(remaining / per_step) + 1))
    return chunk
