"""The labelled instances the crew network learns from, cached as ``.npz`` chunks so a run
that stops resumes where it was.

A chunk is one :func:`rewriter.crew.cpsat.label_dataset` call: ``count`` generated instances of
one size (``n_orders`` x ``n_operators``) from seed ``seed`` on, solved by CP-SAT. The instances
themselves are not stored: :func:`rewriter.crew.generate.generate` rebuilds them exactly from
(size, layout, seed), the way ``label_dataset`` made them. The file keeps each solution as the
operator serving every order and the order's rank in its route, with CP-SAT's status and
objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...atomic import write_atomic
from ...crew.cpsat import label_dataset
from ...crew.generate import LAYOUTS, generate
from ...crew.instance import CrewInstance
from ...crew.schedule import CrewSchedule

__all__ = ["Labelled", "labelled_chunk", "labelled_set"]


@dataclass
class Labelled:
    """An instance, its CP-SAT solution (optimal when ``status`` says so) and its objective."""

    instance: CrewInstance
    solution: CrewSchedule
    status: str
    objective: float


def _chunk_path(directory: Path, n: int, m: int, seed: int, count: int, limit: float) -> Path:
    return directory / f"labels_{n}x{m}_s{seed}_c{count}_t{limit:g}.npz"


def labelled_chunk(directory, n: int, m: int, seed: int, count: int,
                   time_limit: float) -> list[Labelled]:
    """``count`` labelled ``n`` x ``m`` instances from ``seed`` on: read from the chunk's file
    in ``directory`` when it is there, else solved now and written there (atomically)."""
    path = _chunk_path(Path(directory), n, m, seed, count, time_limit)
    layouts = list(LAYOUTS)
    instances = [generate(n, m, layout=layouts[t % len(layouts)], seed=seed + t)
                 for t in range(count)]
    if not path.is_file():
        results = label_dataset(count, n, m, seed=seed, time_limit=time_limit)
        owner = np.full((count, n), -1, np.int64)
        rank = np.full((count, n), -1, np.int64)
        for t, (_, result) in enumerate(results):
            for k, route in enumerate(result.schedule.routes):
                owner[t, route] = k
                rank[t, route] = np.arange(route.size)
        status = np.array([r.status for _, r in results])
        objective = np.array([r.objective for _, r in results], np.float64)
        import io

        buffer = io.BytesIO()
        np.savez(buffer, owner=owner, rank=rank, status=status, objective=objective)
        write_atomic(path, buffer.getvalue())
    data = np.load(path, allow_pickle=False)
    out = []
    for t, inst in enumerate(instances):
        routes = [np.flatnonzero(data["owner"][t] == k) for k in range(m)]
        routes = [r[np.argsort(data["rank"][t][r], kind="stable")] for r in routes]
        out.append(Labelled(inst, CrewSchedule(inst, routes), str(data["status"][t]),
                            float(data["objective"][t])))
    return out


def labelled_set(directory, sizes, per_size: int, seed: int, time_limit: float,
                 chunk: int = 10) -> list[Labelled]:
    """``per_size`` labelled instances of each (n_orders, n_operators) of ``sizes``, in chunks
    of ``chunk`` (seeds ``seed + 100000 * size index`` on, so sizes never share a seed)."""
    out = []
    for s, (n, m) in enumerate(sizes):
        base = seed + 100_000 * s
        for start in range(0, per_size, chunk):
            out += labelled_chunk(directory, n, m, base + start, min(chunk, per_size - start),
                                  time_limit)
    return out
