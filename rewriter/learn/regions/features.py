"""What the learned region picker sees: the schedule as the graph encoder's typed graph, and
each candidate region as the operations it frees plus a few numbers about it.

The schedule comes from the search's :class:`~rewriter.shop.regions.View` (the same the hand
rules read), so one picker serves the job shop and the flexible shop. Operations are nodes with
:data:`OP_FEATURES`; job-precedence and machine-sequence edges come from the job order and from
each machine's operations in start order; eligibility edges are the flexible shop's options (a
job shop's operation has its machine only). Times are divided by the mean operation duration,
and positions in time by the makespan, so sizes from 10 x 5 to 1000 x 200 look alike.

Candidates are drawn from every hand rule (:data:`rewriter.shop.regions.RULES`), a few per rule,
at the size the search has adapted to: the model chooses where, not how large.
"""

from __future__ import annotations

import numpy as np

from ...core.problem import Graph
from ...shop.hetero import build_hetero
from ...shop.regions import RULES, View, pick

#: operation node features (columns of the Graph's rows)
OP_FEATURES = ("duration", "start", "end", "critical", "job_lateness", "job_position",
               "options", "machine_load")
#: a candidate region's own features, before the one-hot of the rule that drew it
REGION_FEATURES = ("size_share", "critical_share", "span", "machines_share", "lateness",
                   "idle_share", "late_share")
N_REGION_FEATURES = len(REGION_FEATURES) + len(RULES)


def scale_of(view: View) -> float:
    """The time unit features are measured in: the mean operation duration (at least 1)."""
    return max(float(np.mean(view.duration)) if view.n_operations else 1.0, 1.0)


def view_graph(view: View) -> Graph:
    """The schedule of ``view`` as a Graph carrying its typed view (operations and machines)."""
    n, m = view.n_operations, view.n_machines
    start = view.start.astype(np.float64)
    duration = view.duration.astype(np.float64)
    end = start + duration
    makespan = max(float(end.max()), 1.0)
    scale = scale_of(view)
    job = np.repeat(np.arange(len(view.job_start) - 1), np.diff(view.job_start))
    job_pred = np.arange(n, dtype=np.int64) - 1
    job_pred[view.job_start[:-1]] = -1
    mach_pred = _machine_predecessors(view.assign, start)
    if view.options is not None:
        eligible, processing = view.options
        options = np.bincount(eligible[:, 0], minlength=n) / max(m, 1)
    else:
        eligible = np.stack([np.arange(n), view.assign], axis=1).astype(np.int64)
        processing = duration
        options = np.full(n, 1.0 / max(m, 1))
    hetero = build_hetero(job_pred=job_pred, mach_pred=mach_pred, op_machine=view.assign,
                          heads=start, durations=duration, eligible=eligible,
                          processing=processing, n_machines=m, scale=scale, makespan=makespan)
    lateness = view.lateness.astype(np.float64)
    late = lateness / max(float(lateness.max()), 1e-9)
    length = np.diff(view.job_start)
    position = (np.arange(n) - view.job_start[job]) / np.maximum(length[job] - 1, 1)
    load = np.bincount(view.assign, weights=duration, minlength=m) / makespan
    features = np.stack([duration / scale, start / makespan, end / makespan,
                         view.critical.astype(np.float64), late[job], position, options,
                         load[view.assign]], axis=1).astype(np.float32)
    level = np.zeros(n, np.int64)  # the hgat encoder reads no levels
    return Graph(features, np.full((n, 1), -1, np.int64), level, hetero)


def _machine_predecessors(assign: np.ndarray, start: np.ndarray) -> np.ndarray:
    order = np.lexsort((np.arange(len(assign)), start, assign))
    pred = np.full(len(assign), -1, np.int64)
    same = assign[order[1:]] == assign[order[:-1]]
    pred[order[1:][same]] = order[:-1][same]
    return pred


def candidates(view: View, size: int, rng: np.random.Generator,
               per_rule: int = 2) -> list[tuple[str, np.ndarray]]:
    """``per_rule`` regions of about ``size`` operations drawn by each hand rule."""
    return [(rule, pick(rule, view, size, rng)) for rule in RULES for _ in range(per_rule)]


def region_features(view: View, free: np.ndarray, rule: str) -> np.ndarray:
    """:data:`REGION_FEATURES` of the region ``free`` and the one-hot of ``rule``."""
    n, m = view.n_operations, view.n_machines
    start = view.start[free].astype(np.float64)
    end = start + view.duration[free]
    makespan = max(float((view.start + view.duration).max()), 1.0)
    job = np.searchsorted(view.job_start, free, side="right") - 1
    lateness = view.lateness.astype(np.float64)
    machines = np.unique(view.assign[free])
    span = max(float(end.max() - start.min()), 1e-9)
    busy = float(view.duration[free].sum())
    values = [free.shape[0] / max(n, 1), float(view.critical[free].mean()),
              span / makespan, machines.shape[0] / max(m, 1),
              float(lateness[job].mean() / max(lateness.max(), 1e-9)),
              1.0 - min(busy / (span * machines.shape[0]), 1.0),
              float((lateness[np.unique(job)] > 1e-3).mean())]
    onehot = [1.0 if rule == r else 0.0 for r in RULES]
    return np.asarray(values + onehot, np.float32)
