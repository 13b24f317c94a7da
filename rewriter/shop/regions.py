"""Where a large rewrite frees the schedule: the region pickers of large-neighbourhood search.

A picker reads a :class:`View` of the schedule (starts, durations, machines, the operations of a
longest path, each job's lateness) and returns about ``size`` operations to free
(:mod:`rewriter.shop.subsolve` re-solves them). The hand rules:

* ``random``: operations drawn uniformly;
* ``window``: the operations that start in a stretch of time (consecutive in start order);
* ``critical``: a stretch of a longest path (to the makespan; with a tardiness objective, to a
  late job) and the operations of its machines nearest to it in time;
* ``late-jobs``: whole jobs, drawn by how late they end (weighted tardiness; for the makespan,
  their completion time), their last operations first;
* ``bottleneck``: the operations around a moment of the busiest machines (drawn by load) and,
  in a flexible shop, operations that could run on them.

``adaptive`` (:class:`AdaptivePicker`) chooses among them by their recent success, as adaptive
large-neighbourhood search does (Ropke & Pisinger 2006): a roulette over weights that follow
the improvement per second each rule's rewrites brought. ``learned`` draws candidate regions from
every rule and lets a trained model choose among them; the model lives with the learners
(``rewriter.learn.regions``), which install it here (:func:`install_learned`), so this layer
never imports them.

A *chooser* is what the search asks for a region: ``region(view, size, rng) -> (rule, free)``,
``update(rule, gain, seconds)`` after the rewrite, and ``state()`` for the result's report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import InputError

#: the hand rules, by name; ``adaptive`` chooses among them
RULES = ("random", "window", "critical", "late-jobs", "bottleneck")
SELECTORS = (*RULES, "adaptive", "learned")


@dataclass
class View:
    """What a picker sees of a schedule (flat arrays over the operations unless said)."""

    start: np.ndarray
    duration: np.ndarray
    assign: np.ndarray
    job_start: np.ndarray     # per job + 1: job j owns job_start[j] .. job_start[j+1]-1
    critical: np.ndarray      # bool: on a longest path to what the objective charges
    lateness: np.ndarray      # per job: what the objective charges it (>= 0)
    n_machines: int
    eligible: np.ndarray | None = None  # bool (operations x machines) in a flexible shop
    # every (operation, machine) option (E, 2) and its processing time (E,); None: the assigned
    # machine only (a job shop)
    options: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def n_operations(self) -> int:
        return int(self.start.shape[0])


def pick(rule: str, view: View, size: int, rng: np.random.Generator) -> np.ndarray:
    """The operations (sorted ids) that rule ``rule`` frees, about ``size`` of them."""
    size = int(min(max(size, 1), view.n_operations))
    chosen = _PICKERS[rule](view, size, rng)
    return np.unique(chosen)


def _random(view: View, size: int, rng) -> np.ndarray:
    return rng.choice(view.n_operations, size, replace=False)


def _window(view: View, size: int, rng) -> np.ndarray:
    by_start = np.argsort(view.start, kind="stable")
    first = int(rng.integers(0, view.n_operations - size + 1))
    return by_start[first:first + size]


def _nearest_in_time(view: View, candidates: np.ndarray, low: int, high: int,
                     count: int) -> np.ndarray:
    """The ``count`` operations of ``candidates`` whose starts are nearest to [low, high]."""
    if count <= 0:
        return candidates[:0]
    if candidates.shape[0] <= count:
        return candidates
    s = view.start[candidates]
    distance = np.maximum(low - s, 0) + np.maximum(s - high, 0)
    return candidates[np.argpartition(distance, count - 1)[:count]]


def _critical(view: View, size: int, rng) -> np.ndarray:
    path = np.flatnonzero(view.critical)
    if path.shape[0] == 0:
        return _window(view, size, rng)
    path = path[np.argsort(view.start[path], kind="stable")]
    length = min(path.shape[0], size, max(2, size // 4))
    first = int(rng.integers(0, path.shape[0] - length + 1))
    stretch = path[first:first + length]
    low, high = int(view.start[stretch].min()), int(view.start[stretch].max())
    machines = np.zeros(view.n_machines, bool)
    machines[view.assign[stretch]] = True
    if view.eligible is not None:  # and the operations that could join them there
        on = machines[view.assign] | view.eligible[:, machines].any(axis=1)
    else:
        on = machines[view.assign]
    near = _nearest_in_time(view, np.flatnonzero(on), low, high, size - length)
    return np.concatenate([stretch, near])


def _late_jobs(view: View, size: int, rng) -> np.ndarray:
    late = view.lateness.astype(float)
    ahead = np.flatnonzero(late > 0)  # drawn by lateness, then the others in random order
    if ahead.shape[0]:
        ahead = rng.choice(ahead, ahead.shape[0], replace=False, p=late[ahead] / late[ahead].sum())
    jobs = np.concatenate([ahead, rng.permutation(np.flatnonzero(late <= 0))])
    chosen, total = [], 0
    for j in jobs.tolist():
        ops = np.arange(view.job_start[j], view.job_start[j + 1])
        take = ops[max(0, ops.shape[0] - (size - total)):]  # the job's last operations first
        chosen.append(take)
        total += take.shape[0]
        if total >= size:
            break
    return np.concatenate(chosen)


def _bottleneck(view: View, size: int, rng) -> np.ndarray:
    load = np.bincount(view.assign, weights=view.duration, minlength=view.n_machines)
    if load.sum() <= 0:
        return _window(view, size, rng)
    weight = load ** 2
    k = 1 + int(rng.integers(0, min(3, view.n_machines)))
    machines = rng.choice(view.n_machines, min(k, int((weight > 0).sum())), replace=False,
                          p=weight / weight.sum())
    on = np.isin(view.assign, machines)
    moment = int(rng.integers(0, max(1, int((view.start + view.duration).max()))))
    if view.eligible is None:
        return _nearest_in_time(view, np.flatnonzero(on), moment, moment, size)
    half = _nearest_in_time(view, np.flatnonzero(on), moment, moment, (size + 1) // 2)
    could = np.flatnonzero(view.eligible[:, machines].any(axis=1) & ~on)
    return np.concatenate([half, _nearest_in_time(view, could, moment, moment, size - half.shape[0])])


_PICKERS = {"random": _random, "window": _window, "critical": _critical,
            "late-jobs": _late_jobs, "bottleneck": _bottleneck}


class AdaptivePicker:
    """A roulette over the hand rules whose weights follow their recent improvement per second.

    After a rewrite by rule r that took ``seconds`` and lowered the cost by ``gain`` (relative
    to the cost before), r's weight moves a fraction ``reaction`` of the way towards
    ``gain / seconds`` scaled by the largest such rate seen; a rule's weight never falls below
    ``floor`` of the roulette, so every rule is still tried now and then."""

    def __init__(self, rules=RULES, reaction: float = 0.2, floor: float = 0.05):
        self.rules = tuple(rules)
        self.weights = np.ones(len(self.rules))
        self.reaction = reaction
        self.floor = floor
        self._scale = 0.0  # the largest gain per second seen

    def probabilities(self) -> np.ndarray:
        """The roulette: ``floor`` for every rule, the rest shared by weight."""
        k = len(self.rules)
        floor = min(self.floor, 1.0 / k)
        return floor + (1.0 - k * floor) * self.weights / self.weights.sum()

    def choose(self, rng: np.random.Generator) -> str:
        return self.rules[int(rng.choice(len(self.rules), p=self.probabilities()))]

    def update(self, rule: str, gain: float, seconds: float) -> None:
        rate = max(gain, 0.0) / max(seconds, 1e-3)
        self._scale = max(self._scale, rate)
        score = rate / self._scale if self._scale > 0 else 0.0
        k = self.rules.index(rule)
        self.weights[k] += self.reaction * (score - self.weights[k])
        self.weights = np.maximum(self.weights, 1e-6)

    def state(self) -> dict:
        return {r: round(float(w), 4) for r, w in zip(self.rules, self.weights)}

    def region(self, view: View, size: int, rng: np.random.Generator) -> tuple[str, np.ndarray]:
        rule = self.choose(rng)
        return rule, pick(rule, view, size, rng)


class RulePicker:
    """One hand rule, every time."""

    def __init__(self, rule: str):
        self.rule = rule

    def region(self, view: View, size: int, rng: np.random.Generator) -> tuple[str, np.ndarray]:
        return self.rule, pick(self.rule, view, size, rng)

    def update(self, rule: str, gain: float, seconds: float) -> None:
        """A fixed rule learns nothing."""

    def state(self) -> None:
        return None


#: problem name -> ``factory(model) -> chooser`` of the learned picker, installed by the learners
_LEARNED: dict[str, Callable] = {}


def install_learned(problem: str, factory: Callable) -> None:
    """Let ``selector="learned"`` on ``problem`` build its chooser with ``factory(model)``
    (``model``: a path, or None for the shipped one)."""
    _LEARNED[problem] = factory


def chooser(selector: str, problem: str, model=None):
    """The chooser ``selector`` names (:data:`SELECTORS`) for a problem's search; ``model``: the
    learned picker's file (None or "default": the shipped one), refused with any other selector."""
    if selector not in SELECTORS:
        raise InputError(f"unknown selector {selector!r}; expected one of: {', '.join(SELECTORS)}")
    if model not in (None, "default") and selector != "learned":
        raise InputError(f"--model with --policy lns is the learned region picker's; give "
                         f"--selector learned (not {selector})")
    if selector == "adaptive":
        return AdaptivePicker(RULES)
    if selector != "learned":
        return RulePicker(selector)
    if problem not in _LEARNED:
        raise InputError(f"no learned region picker is installed for {problem}; solve through "
                         "rewriter.solve or the command line, which install it")
    return _LEARNED[problem](model)
