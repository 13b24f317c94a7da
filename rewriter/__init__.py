"""rewriter: improve schedules by learned local rewriting.

The job-shop API in three names::

    from rewriter import load_instance, solve
    result = solve(load_instance("ta41"), init="mwkr", policy="tabu", steps=200, seed=0)
    print(result.makespan, result.gap_percent)
"""

__version__ = "0.1.0"

from .errors import InputError  # noqa: E402
from .jssp.bundled import bundled_instances, load_instance  # noqa: E402
from .jssp.generate import random_instance  # noqa: E402
from .jssp.instance import JobShopInstance  # noqa: E402
from .jssp.solution import JobShopSolution  # noqa: E402
from .jssp.validate import check_schedule  # noqa: E402
from .solve import Result, TabuSettings, solve  # noqa: E402

__all__ = ["InputError", "JobShopInstance", "JobShopSolution", "Result", "TabuSettings",
           "bundled_instances", "check_schedule", "load_instance", "random_instance", "solve",
           "__version__"]
