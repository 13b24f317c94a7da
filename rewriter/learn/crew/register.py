"""What the crew network adds to the orders-and-operators problem: the ``network`` start rule
(``rewriter solve crew_u200x30_s0 --init network``: the network's routes, which the tabu
search then improves; ``--policy none`` returns them as they are). ``--model PATH`` names
another model file of the crew network (default: the shipped ``rewriter/models/crew.pt``).

Imported by the registry when it builds a spec, so it stays cheap: torch is imported inside
the function it hands over.
"""

from __future__ import annotations

import time
import warnings

from ...core.spec import Option, ProblemSpec, StartRule

NETWORK = "network"
PLACEMENT = Option("network_placement", None, "--init network: where the network's chosen "
                   "order goes in its operator's route: cheapest (the position adding the least "
                   "time; default) or end (appended, the design's decoder)",
                   choices=("cheapest", "end"), kind=str)


def register(spec: ProblemSpec) -> ProblemSpec:
    """``spec`` with the network start rule, if it is the crew problem's."""
    if spec.name != "crew":
        return spec
    return spec.with_start_rule(StartRule(NETWORK, network_start, "the crew network's routes "
                                          "(greedy decoding under capacity; --model PATH for "
                                          "another model file)", (PLACEMENT,)))


def network_start(instance, *, model=None, network_placement=None, policy=None,
                  time_limit=None, started=None, **_):
    """The network's routes for ``instance``; ``model`` names its file (None or "default": the
    shipped one) unless the learned rewriter reads ``model`` itself (``policy="learned"``).
    Orders go where they add the least time in the chosen route unless
    ``network_placement`` is "end" (crew2: 13.9% above CP-SAT on 60 fresh labelled instances of
    8 to 30 orders that way, 16.3% appending); idle operators are called in under the
    activation gate the model's card keeps (:mod:`.calibrate`; none when the card has none).

    With a ``time_limit`` (counted from ``started``, as the solve counts it) the decoding stops
    at the limit, and the problem's default rule's routes (cheapest insertion), built first, are returned instead
    with a warning: the limit is kept where the decoding is slower than it (10,000 orders)."""
    from ...core.threads import limit_threads
    from ...crew.solve import DEFAULT_INIT, initial_schedule
    from .calibrate import threshold_of
    from .decode import decode
    from .model_file import resolve_crew_model

    net, card = resolve_crew_model(None if policy == "learned" else model)
    deadline = fallback = None
    if time_limit is not None:
        deadline = (time.perf_counter() if started is None else started) + time_limit
        fallback = initial_schedule(instance, DEFAULT_INIT)
    with limit_threads(1):
        decoded = decode(instance, net, placement=network_placement or "cheapest",
                         activation_threshold=threshold_of(card), deadline=deadline)
    if decoded is None:
        warnings.warn(f"--init network: the network's routes were not complete within the time "
                      f"limit ({time_limit:g} s); the search starts from the {DEFAULT_INIT} rule's "
                      "routes instead")
        return fallback
    return decoded.schedule
