"""The flexible job shop (FJSP) at production scale: each operation may run on several eligible
machines at machine-dependent durations; jobs may carry release dates, due dates and weights.

Modules: :mod:`.instance` (the data, flat arrays), :mod:`.io` (FJSPLIB text, JSON and the
compatibility-matrix CSV), :mod:`.bundled` (the FJSPLIB benchmark files with their bounds, and
instances by name), :mod:`.generate` (seeded random instances and the evaluation sets),
:mod:`.schedule` (a schedule: machine assignment and machine orders, and its objectives),
:mod:`.kernels` (heads, tails, job completions in numba), :mod:`.validate` (the independent
checker), :mod:`.schedule_json` (reading a schedule file for it), :mod:`.dispatching` (job rule
x machine rule constructive schedules), :mod:`.moves` and :mod:`.search` (resequence / reassign
moves priced exactly; tabu search, descent, random walk), :mod:`.solve` (the entry point, CP-SAT
included), :mod:`.gantt` and :mod:`.spec` (the registry's record).
"""
