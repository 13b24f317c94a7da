"""Orders scheduled onto travelling operators (``--problem crew``).

Operators start at their own positions and travel from order to order (no return trip); each
has a number of hours for travel and service, and an idle operator costs ``beta`` to activate.
The objective weighs the longest operator's time against activations:
``alpha * makespan + beta * activated``.

Modules: :mod:`.instance` (the data), :mod:`.schedule` (routes and what they cost),
:mod:`.io` (JSON and CSV instances, solution JSON), :mod:`.generate` (seeded uniform and
clustered instances), :mod:`.bundled` (names and bundled examples), :mod:`.validate` (the
independent checker), :mod:`.dispatching` (the rules), :mod:`.cpsat` (the exact model),
:mod:`.routing` (OR-Tools routing), :mod:`.kernels` and :mod:`.search` (the rewriting moves and
their search), :mod:`.solve` and :mod:`.spec` (the registry's record).
"""

from ..lazy import lazy_attributes

_LAZY = {"CrewInstance": ".instance", "CrewSchedule": ".schedule", "generate": ".generate",
         "read_instance": ".io", "write_instance": ".io", "read_solution": ".io",
         "write_solution": ".io", "check_crew_schedule": ".validate", "violations": ".validate"}

__all__ = list(_LAZY)

__getattr__ = lazy_attributes(__name__, _LAZY, globals())
