"""Labelled decisions for the region picker: from one schedule, every candidate region is
re-solved, and each is labelled by what its rewrite bought per second.

A trajectory starts from a rule's schedule polished by tabu search (where large-neighbourhood
search starts rewriting). At each decision the candidates of :func:`.features.candidates` are
each rewritten on a fork of the schedule, on one CP-SAT thread, limited by CP-SAT's deterministic
time so that the labels do not depend on the machine's load (job shop), or by wall time where
deterministic time tracks it badly (the flexible shop's whole-schedule models: 0.1 deterministic
seconds took 3-13 s); then the best candidate's rewrite is made on the
schedule itself and tabu search polishes it, and the next decision starts there.

A label is the relative cost the rewrite took off or, when it took none off, a tenth of the
relative total completion time it took off (the sub-solves' second criterion: rewrites that end
jobs earlier at an equal cost are what open the way for the next ones), divided by its seconds.
A rewrite that lowers the cost may end the jobs later in total; its label is its cost gain.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from ...atomic import write_atomic
from ...shop.regions import RULES, View
from .features import candidates

#: weight of the relative completion-time gain in a label, beside the relative cost gain
COMPLETION_WEIGHT = 0.1


@dataclass
class Decision:
    """One schedule's view, its candidate regions (rule, operations) and their labels."""

    view: View
    drawn: list
    labels: np.ndarray
    gains: np.ndarray
    seconds: np.ndarray


@dataclass
class CollectSettings:
    decisions: int = 20        # per trajectory
    subsolve: float = 0.3      # deterministic seconds per candidate
    size: int = 60             # operations per region
    polish: int = 2000         # tabu moves without a new best that end a polish
    first_polish: int = 20000
    wall_clock: bool = False   # limit sub-solves by wall time, not deterministic time


def label(before: tuple[float, float], after: tuple[float, float], seconds: float) -> tuple[float, float]:
    """(gain, gain per second) of a rewrite from (cost, completion) ``before`` to ``after``."""
    gain = (before[0] - after[0]) / max(abs(before[0]), 1e-9)
    if gain <= 0:
        gain = COMPLETION_WEIGHT * max(before[1] - after[1], 0) / max(abs(before[1]), 1e-9)
    return gain, gain / max(seconds, 1e-3)


def trajectory(problem, settings: CollectSettings, seed: int) -> list[Decision]:
    """``settings.decisions`` labelled decisions along one schedule's rewrites."""
    rng = np.random.default_rng(seed)
    problem.polish(settings.first_polish, float("inf"), None, seed)
    out = []
    for _ in range(settings.decisions):
        view = problem.view()
        drawn = candidates(view, min(settings.size, problem.n_operations), rng)
        before = (problem.cost, problem.completion)
        seeds = rng.integers(0, 2**31 - 1, len(drawn))
        gains, rates, seconds = [], [], []
        for (_, free), sub_seed in zip(drawn, seeds):
            twin = problem.fork()
            result = twin.rewrite(free, settings.subsolve, int(sub_seed), 1,
                                  not settings.wall_clock)
            gain, rate = label(before, (twin.cost, twin.completion), result.seconds)
            gains.append(gain), rates.append(rate), seconds.append(result.seconds)
        out.append(Decision(view, drawn, np.asarray(rates), np.asarray(gains), np.asarray(seconds)))
        best = int(np.argmax(rates))
        if gains[best] > 0:
            problem.rewrite(drawn[best][1], settings.subsolve, int(seeds[best]), 1,
                            not settings.wall_clock)
        problem.polish(settings.polish, float("inf"), None, int(rng.integers(0, 2**31 - 1)))
    return out


def save_decisions(path, decisions: list[Decision]) -> None:
    """Write decisions as one ``.npz`` of flat arrays (no pickles: loaded with allow_pickle off)."""
    arrays = {}
    for k, d in enumerate(decisions):
        v = d.view
        for name in ("start", "duration", "assign", "job_start", "critical", "lateness"):
            arrays[f"{k}/{name}"] = np.asarray(getattr(v, name))
        arrays[f"{k}/n_machines"] = np.asarray(v.n_machines)
        if v.options is not None:
            arrays[f"{k}/options_pairs"], arrays[f"{k}/options_time"] = v.options
        arrays[f"{k}/rules"] = np.asarray([RULES.index(r) for r, _ in d.drawn])
        arrays[f"{k}/sizes"] = np.asarray([len(f) for _, f in d.drawn])
        arrays[f"{k}/ops"] = np.concatenate([f for _, f in d.drawn])
        for name in ("labels", "gains", "seconds"):
            arrays[f"{k}/{name}"] = getattr(d, name)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, count=np.asarray(len(decisions)), **arrays)
    write_atomic(path, buffer.getvalue())


def load_decisions(path) -> list[Decision]:
    out = []
    with np.load(path, allow_pickle=False) as data:
        for k in range(int(data["count"])):
            g = {name.split("/", 1)[1]: data[name] for name in data.files if name.startswith(f"{k}/")}
            options = (g["options_pairs"], g["options_time"]) if "options_pairs" in g else None
            view = View(g["start"], g["duration"], g["assign"], g["job_start"], g["critical"],
                        g["lateness"], int(g["n_machines"]), None, options)
            cuts = np.cumsum(g["sizes"])[:-1]
            drawn = [(RULES[int(r)], ops) for r, ops in zip(g["rules"], np.split(g["ops"], cuts))]
            out.append(Decision(view, drawn, g["labels"], g["gains"], g["seconds"]))
    return out
