"""The Python API every problem shares: load an instance, solve it; the problem is found by the
registry (from the instance's name or file, or its type)."""

from __future__ import annotations

import os

from . import registry, warmup
from .core.result import Result
from .errors import InputError


def load_instance(name, problem: str | None = None):
    """A bundled instance by name or an instance file by path; ``problem`` (a registered name)
    is inferred from ``name`` when not given. ``name`` may also be an instance of ours (returned
    as it is) or another library's that a problem converts (``ProblemSpec.adopt``): a
    job_shop_lib ``JobShopInstance`` or a PyJobShop ``ProblemData`` of a job shop or a
    flexible job shop."""
    if not isinstance(name, (str, os.PathLike)):
        return _adopted(name, problem)
    spec = registry.get(problem) if problem else registry.infer(str(name))
    return spec.load_instance(str(name))


def _adopted(value, problem: str | None):
    specs = [registry.get(problem)] if problem else [registry.get(n) for n in registry.names()]
    for spec in specs:
        if spec.instance_type == f"{type(value).__module__}.{type(value).__qualname__}":
            return value
        adopted = spec.adopt(value) if spec.adopt is not None else None
        if adopted is not None:
            return adopted
    raise InputError(f"load_instance: expected an instance name, a file or an instance object "
                     f"a problem converts, found a {type(value).__name__}")


def solve(instance, *, init: str | None = None, policy: str | None = None, steps: int | None = -1,
          **options) -> Result:
    """Build the ``init`` heuristic's schedule of ``instance`` and rewrite it with ``policy`` for
    ``steps`` rewrites (default: the problem's; None with a ``time_limit``: no step limit).
    Further keywords are the problem's own (``time_limit``, ``seed``, ``model``, ``samples``,
    ``decoding``, ``progress``, and e.g. ``moves`` or ``tabu`` for the job shop). Every returned
    schedule has passed the problem's independent validator.

    The method's numba kernels are compiled (or loaded from numba's cache) before the search's
    clock starts, so ``time_limit`` is search time; ``result.compile_s`` says how long that took
    (one line on stderr when numba really compiles; ``warm_up=False`` skips the step)."""
    spec = registry.for_instance(instance)
    policy = policy or spec.default_policy
    return warmup.solve(spec, instance, init=init or spec.default_init, policy=policy,
                        steps=spec.steps_for(policy) if steps == -1 else steps, **options)


def plot_gantt(result, path=None, ax=None, title: str | None = None):
    """The Gantt chart of a Result (or of a problem's solution, e.g. a JobShopSolution) on the
    matplotlib ``ax``, or a new figure (shown inline in Jupyter) without one; saved to ``path``
    when given (a file name, its suffix the format, or a file object such as ``io.BytesIO``, which
    gets a PNG). Returns the Axes. An InputError for a problem without a Gantt chart (MRT)."""
    if isinstance(result, Result):
        return result.plot(ax=ax, path=path, title=title)
    if not hasattr(result, "plot_gantt"):
        raise TypeError(f"expected a Result or a schedule with a Gantt chart, got {type(result).__name__}")
    return result.plot_gantt(ax=ax, path=path, title=title)


def problems() -> list[str]:
    """The registered problems' names."""
    return registry.names()
