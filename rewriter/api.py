"""The Python API every problem shares: load an instance, solve it; the problem is found by the
registry (from the instance's name or file, or its type)."""

from __future__ import annotations

from . import registry, warmup
from .core.result import Result


def load_instance(name: str, problem: str | None = None):
    """A bundled instance by name or an instance file by path; ``problem`` (a registered name)
    is inferred from ``name`` when not given."""
    spec = registry.get(problem) if problem else registry.infer(str(name))
    return spec.load_instance(str(name))


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


def problems() -> list[str]:
    """The registered problems' names."""
    return registry.names()
