"""rewriter: improve schedules by learned local rewriting.

The job-shop API in three names::

    from rewriter import load_instance, solve
    result = solve(load_instance("ta41"), init="mwkr", policy="tabu", steps=200, seed=0)
    print(result.makespan, result.gap_percent)

Names are loaded on first use, so ``import rewriter.core`` (or ``rewriter --help``) loads no
problem, no numba kernel and no torch.
"""


from .errors import InputError
from .lazy import lazy_attributes
from .version import __version__

#: public name -> module that defines it
_LAZY = {
    "bundled_instances": ".jssp.bundled", "load_instance": ".jssp.bundled",
    "random_instance": ".jssp.generate", "JobShopInstance": ".jssp.instance",
    "JobShopSolution": ".jssp.solution", "check_schedule": ".jssp.validate",
    "Result": ".core.result", "TabuSettings": ".jssp.solve", "solve": ".jssp.solve",
}

__all__ = ["InputError", "__version__", *_LAZY]


__getattr__ = lazy_attributes(__name__, _LAZY, globals())


def __dir__():
    return sorted(__all__)
