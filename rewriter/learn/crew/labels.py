"""The labelled instances the crew network learns from, cached as ``.npz`` chunks so a run
that stops resumes where it was.

A chunk is ``count`` generated instances of one size (``n_orders`` x ``n_operators``) from seed
``seed`` on (layouts alternating uniform / clustered), each with a solution, by one of two
labellers:

* ``cpsat`` (:func:`rewriter.crew.cpsat.label_dataset`): CP-SAT for ``time_limit`` seconds,
  warm-started from the best rule; ``status`` optimal where it proves the optimum (about 10
  orders), else feasible. For up to ~30 orders.
* ``best`` (:func:`best_known`): beyond that no proof is within reach, so the label is the best
  solution the strongest methods find in the budget: tabu search from the insertion rule for
  half of ``time_limit``, then OR-Tools routing seeded with tabu's routes for the other half;
  ``status`` is ``best_known`` (never proven) and ``method`` says which of the two found it.

The instances themselves are not stored: :func:`rewriter.crew.generate.generate` rebuilds them
exactly from (size, layout, seed). The file keeps each solution as the operator serving every
order and the order's rank in its route, with the status, the objective and the method.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...atomic import write_atomic
from ...crew.cpsat import label_dataset
from ...crew.dispatching import build
from ...crew.generate import LAYOUTS, generate
from ...crew.instance import CrewInstance
from ...crew.schedule import CrewSchedule

__all__ = ["Labelled", "labelled_chunk", "labelled_set", "best_known", "LABELLERS"]

LABELLERS = ("cpsat", "best")


@dataclass
class Labelled:
    """An instance, its label solution and that solution's objective: ``status`` optimal
    (proven by CP-SAT), feasible (CP-SAT, unproven) or best_known (:func:`best_known`);
    ``method`` the solver that found it."""

    instance: CrewInstance
    solution: CrewSchedule
    status: str
    objective: float
    method: str = "cpsat"


def best_known(instance: CrewInstance, seconds: float, seed: int = 0):
    """(schedule, method): tabu search from the insertion rule for ``seconds / 2``, then
    OR-Tools routing from tabu's best routes for ``seconds / 2``; the better of the two
    (routing returns its hint when it finds nothing better), ``method`` "tabu" or "routing"."""
    from ...crew.routing import solve_routing
    from ...crew.search import local_search

    tabu = local_search(build("insertion", instance), time_limit=seconds / 2, seed=seed).best
    routed = solve_routing(instance, time_limit=seconds / 2, seed=seed, hint=tabu).schedule
    if routed is not None and routed.objective < tabu.objective - 1e-9:
        return routed, "routing"
    return tabu, "tabu"


def _solve_chunk(labeller: str, n: int, m: int, seed: int, count: int, time_limit: float):
    """[(schedule, status, method)] of the chunk's instances."""
    if labeller == "cpsat":
        return [(r.schedule, r.status, "cpsat")
                for _, r in label_dataset(count, n, m, seed=seed, time_limit=time_limit)]
    layouts = list(LAYOUTS)
    out = []
    for t in range(count):
        inst = generate(n, m, layout=layouts[t % len(layouts)], seed=seed + t)
        schedule, method = best_known(inst, time_limit)
        out.append((schedule, "best_known", method))
    return out


def _chunk_path(directory: Path, labeller: str, n: int, m: int, seed: int, count: int,
                limit: float) -> Path:
    prefix = "labels" if labeller == "cpsat" else labeller  # cpsat: the crew2 run's file names
    return directory / f"{prefix}_{n}x{m}_s{seed}_c{count}_t{limit:g}.npz"


def labelled_chunk(directory, n: int, m: int, seed: int, count: int, time_limit: float,
                   labeller: str = "cpsat") -> list[Labelled]:
    """``count`` labelled ``n`` x ``m`` instances from ``seed`` on: read from the chunk's file
    in ``directory`` when it is there, else solved now by ``labeller`` (module docstring) and
    written there (atomically)."""
    if labeller not in LABELLERS:
        raise ValueError(f"labeller: expected one of {', '.join(LABELLERS)}, found {labeller!r}")
    path = _chunk_path(Path(directory), labeller, n, m, seed, count, time_limit)
    layouts = list(LAYOUTS)
    instances = [generate(n, m, layout=layouts[t % len(layouts)], seed=seed + t)
                 for t in range(count)]
    if not path.is_file():
        _write_chunk(path, n, _solve_chunk(labeller, n, m, seed, count, time_limit))
    data = np.load(path, allow_pickle=False)
    methods = data["method"] if "method" in data.files else np.full(count, "cpsat")
    out = []
    for t, inst in enumerate(instances):
        routes = [np.flatnonzero(data["owner"][t] == k) for k in range(m)]
        routes = [r[np.argsort(data["rank"][t][r], kind="stable")] for r in routes]
        out.append(Labelled(inst, CrewSchedule(inst, routes), str(data["status"][t]),
                            float(data["objective"][t]), str(methods[t])))
    return out


def _write_chunk(path: Path, n: int, solved: list) -> None:
    import io

    owner = np.full((len(solved), n), -1, np.int64)
    rank = np.full((len(solved), n), -1, np.int64)
    for t, (schedule, _, _) in enumerate(solved):
        for k, route in enumerate(schedule.routes):
            owner[t, route] = k
            rank[t, route] = np.arange(route.size)
    buffer = io.BytesIO()
    np.savez(buffer, owner=owner, rank=rank, status=np.array([s for _, s, _ in solved]),
             objective=np.array([sch.objective for sch, _, _ in solved], np.float64),
             method=np.array([how for _, _, how in solved]))
    write_atomic(path, buffer.getvalue())


def labelled_set(directory, sizes, per_size: int, seed: int, time_limit: float,
                 chunk: int = 10, exact_up_to: int = 30,
                 best_seconds: float | None = None) -> list[Labelled]:
    """``per_size`` labelled instances of each (n_orders, n_operators) of ``sizes``, in chunks
    of ``chunk`` (seeds ``seed + 100000 * size index`` on, so sizes never share a seed): CP-SAT
    for ``time_limit`` seconds up to ``exact_up_to`` orders, beyond that :func:`best_known`
    for ``best_seconds`` (default ``time_limit``) seconds."""
    out = []
    for s, (n, m) in enumerate(sizes):
        base = seed + 100_000 * s
        labeller = "cpsat" if n <= exact_up_to else "best"
        limit = time_limit if labeller == "cpsat" or best_seconds is None else best_seconds
        for start in range(0, per_size, chunk):
            out += labelled_chunk(directory, n, m, base + start, min(chunk, per_size - start),
                                  limit, labeller)
    return out
