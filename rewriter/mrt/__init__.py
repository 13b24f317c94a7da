"""Online multi-resource job scheduling (MRT), as in NeuRewriter (Chen & Tian, NeurIPS 2019).

One cluster with D resource types (capacity 10 each); jobs arrive over time, each with a length
and a demand per resource; a job runs without interruption once started and the running jobs
never exceed the capacity. The objective is the average job slowdown (C_i - A_i) / T_i.

Modules: :mod:`.instance` (the data), :mod:`.generate` (the paper's random sequences and the
seeded 100k data set), :mod:`.io` (instance and schedule JSON), :mod:`.kernels` (numba loops),
:mod:`.schedule` (a schedule, its "starts-when" DAG and the rewrite step), :mod:`.validate` (the
independent checker), :mod:`.problem` (the :mod:`rewriter.core.problem` interface) and
:mod:`.compare` (baseline tables).
"""


from ..lazy import lazy_attributes

#: public name -> module that defines it (loaded on first use: the registry reads this package's
#: spec for `rewriter --help`, which must not load numba)
_LAZY = {"dataset_instance": ".generate", "random_sequence": ".generate", "split_size": ".generate",
         "MrtInstance": ".instance", "read_instance": ".io", "write_instance": ".io",
         "read_schedule": ".io", "write_schedule": ".io", "MrtProblem": ".problem",
         "MrtState": ".problem", "MrtSchedule": ".schedule", "check_mrt_schedule": ".validate",
         "schedule_violations": ".validate"}

__all__ = list(_LAZY)


__getattr__ = lazy_attributes(__name__, _LAZY, globals())

