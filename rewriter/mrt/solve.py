"""``solve`` for MRT: a heuristic schedule, then rewritten by the learned policy or a baseline.

The same :class:`~rewriter.core.result.Result` as every problem; every returned schedule has
passed the independent validator. ``steps=None`` with a ``time_limit`` means no step limit.
"""

from __future__ import annotations

import re
import time
from importlib import resources
from pathlib import Path

from ..core.result import Result
from ..errors import InputError
from .instance import MrtInstance

DATASET_NAME = re.compile(r"mrt_d(\d+)_(train|validation|test)_(\d+)")

POLICIES = ("learned", "greedy", "random", "none")
DEFAULT_INIT = "ejf"


def load_instance(text: str) -> MrtInstance:
    """An MRT JSON file, a bundled sample by name (``mrt_d20_test_00000``), or any sequence of
    the seeded data set by name (``mrt_d{D}_{train|validation|test}_{index:05d}``)."""
    from .io import read_instance

    path = Path(text)
    # exists(), not is_file(): a directory or a FIFO of that name is refused as what it is
    match = DATASET_NAME.fullmatch(path.stem) if not path.exists() else None
    bundled = Path(str(resources.files("rewriter.instances").joinpath("mrt", f"{path.stem}.json")))
    if match and not bundled.is_file():
        from .generate import dataset_instance

        return dataset_instance(int(match.group(1)), match.group(2), int(match.group(3)))
    if not path.exists():
        bundled = Path(str(resources.files("rewriter.instances").joinpath("mrt", f"{path.stem}.json")))
        if not bundled.is_file():
            raise InputError(f"{text}: no such MRT instance file or bundled sample "
                             "(e.g. mrt_d20_test_00000)")
        path = bundled
    return read_instance(path)


def make_result(instance: MrtInstance, starts, method: str, init: str, init_cost: float,
                steps: int, seed: int | None, runtime_s: float, status: str, trace,
                info: dict | None = None) -> Result:
    """The package's :class:`Result` for MRT start times (checked by the validator first)."""
    from .io import schedule_to_dict
    from .schedule import MrtSchedule
    from .validate import check_mrt_schedule

    slowdown = check_mrt_schedule(instance, starts)
    schedule = schedule_to_dict(instance, starts)
    for key in ("instance", "average_slowdown"):
        schedule.pop(key)
    return Result("mrt", instance, MrtSchedule(instance, starts), "average_slowdown",
                  {"average_slowdown": round(slowdown, 6)}, method, init,
                  round(float(init_cost), 6), steps, seed, runtime_s, status,
                  [(int(s), t, float(c)) for s, t, c in trace], 0, info or {},
                  {"n_jobs": instance.n_jobs, "resources": instance.resources}, schedule)


def solve(instance: MrtInstance, *, init: str = DEFAULT_INIT, policy: str = "learned",
          steps: int | None = 50, time_limit: float | None = None, seed: int = 0,
          progress: bool = False, model=None, samples: int = 1,
          decoding: str | None = None) -> Result:
    """Rewrite the ``init`` heuristic's schedule of ``instance`` with ``policy`` (``learned``,
    ``greedy`` descent, ``random`` walk or ``none``) for ``steps`` rewrites or ``time_limit``
    seconds. The learned policy samples its rewrites unless ``decoding="argmax"``."""
    from ..learn.search import descent_search, learned_search, random_search
    from .problem import MrtProblem

    if policy not in POLICIES:
        raise InputError(f"unknown MRT policy {policy!r}; expected one of: {', '.join(POLICIES)}")
    if steps is None and time_limit is None and policy != "none":
        raise InputError("give a step budget or a time limit (or both)")
    t0 = time.perf_counter()
    state = MrtProblem(resources=instance.resources).initial_state(instance, init, seed=seed)
    info = {}
    if policy == "none" or steps == 0:
        outcome = None
    elif policy == "random":
        outcome = random_search(state, steps, seed=seed, time_limit=time_limit, progress=progress,
                                started=t0)
    elif policy == "greedy":
        outcome = descent_search(state, steps, time_limit=time_limit, progress=progress, started=t0)
    else:
        from ..models import load_policy

        argmax = decoding == "argmax"
        if samples > 1 and argmax:
            raise InputError("argmax decoding follows one trajectory; use samples=1 or sampling")
        net, meta = load_policy(model, "mrt")
        keep = meta.get("card", {}).get("config", {}).get("pc_min")
        outcome = learned_search(state, net, steps, samples=samples, argmax=argmax, seed=seed,
                                 time_limit=time_limit, progress=progress, started=t0,
                                 negative_q_keep=keep if keep is not None and not argmax else None,
                                 desc=f"learned {instance.name}")
        info = {"model": meta.get("card", {}).get("name", str(model or "default")),
                "samples": samples, "decoding": "argmax" if argmax else "sampled"}
    runtime = time.perf_counter() - t0
    if outcome is None:
        cost = state.cost()
        return make_result(instance, state.schedule.starts, "dispatch", init, cost, 0, seed,
                           runtime, "completed", [(0, 0.0, cost), (0, round(runtime, 4), cost)])
    return make_result(instance, outcome.best.schedule.starts,
                       "rewriter" if policy == "learned" else policy, init, outcome.initial_cost,
                       outcome.steps, seed, outcome.runtime_s, outcome.status, outcome.trace, info)
