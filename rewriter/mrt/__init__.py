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

from .generate import dataset_instance, random_sequence, split_size
from .instance import MrtInstance
from .io import read_instance, read_schedule, write_instance, write_schedule
from .problem import MrtProblem, MrtState
from .schedule import MrtSchedule
from .validate import check_mrt_schedule, schedule_violations

__all__ = ["MrtInstance", "MrtSchedule", "MrtState", "MrtProblem", "dataset_instance", "random_sequence",
           "split_size", "read_instance", "write_instance", "read_schedule", "write_schedule",
           "check_mrt_schedule", "schedule_violations"]
