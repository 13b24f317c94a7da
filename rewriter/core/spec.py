"""What a problem tells the rest of the package about itself: one :class:`ProblemSpec`.

A problem is a sub-package that builds one ``ProblemSpec`` and is named in the registry
(:mod:`rewriter.registry`). ``solve``, ``validate``, ``compare``, ``train``, ``instances`` and the
Python API reach the problem only through it, so nothing outside the sub-package names it.

Building a spec must stay cheap: ``rewriter --help`` reads every registered spec, so a spec
module imports its numba kernels, torch and solvers only inside the functions it hands over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import InputError
from .result import Result

#: The most instances one ``--instances`` list may name: far more than any comparison could run,
#: and few enough that the names take a few MB (``prod_10x5_s0-100000000`` would otherwise build
#: 10^8 names, gigabytes, before the first cell).
MAX_INSTANCES = 100_000


def check_instance_count(item: str, count: int, listed: int = 0) -> None:
    """Refuse ``item``, which names ``count`` instances, when it would take a list already holding
    ``listed`` names past :data:`MAX_INSTANCES`; called before its names are built."""
    if listed + count > MAX_INSTANCES:
        before = f" after {listed:,} named before it" if listed else ""
        raise InputError(f"{item!r} names {count:,} instances{before}; expected at most "
                         f"{MAX_INSTANCES:,} in one list")

@dataclass(frozen=True)
class Method:
    """One column of a comparison (and one way ``solve`` can run): a name, a budget, a runner.

    ``run(instance, budget=..., init=..., seed=..., threads=...)`` returns a :class:`Result`.
    ``budget`` says what the number after the colon counts (``"seconds"``, ``"steps"``,
    ``"samples"`` or None for a method that takes no budget), ``default_budget`` what it is when
    the spec gives none.
    """

    name: str
    run: Callable[..., Result]
    help: str
    budget: str | None = None
    default_budget: float | None = None
    takes_init: bool = False      # a search that starts from an ``@RULE`` schedule
    uses_threads: bool = False    # a solver whose thread count is part of its result's key
    uses_model: bool = False      # a learned model: ``compare --construct-model`` picks the file
    spec_name: str | None = None  # the name in a spec when it is another method's with a budget
                                  # (the random walk is ``random:500``, the random rule ``random``)


@dataclass(frozen=True)
class Option:
    """A problem-specific option: a command-line flag of ``solve`` or a training field."""

    name: str                     # the keyword / field name (``moves``)
    default: Any
    help: str
    choices: tuple | None = None
    kind: type | None = None      # the value type when not that of ``default``


@dataclass(frozen=True)
class ProblemSpec:
    """The registry's record of one problem (see the module docstring)."""

    name: str                                   # command-line name
    title: str                                  # one line for --help
    instance_type: str                          # "module.Class" of its instances (not imported)
    objective: str                              # the name of the cost in Result.values
    load_instance: Callable[[str], Any]         # bundled name or path -> instance (InputError)
    recognizes: Callable[[str], bool]           # could this name or file be one of its instances?
    init_rules: tuple[str, ...]
    default_init: str
    policies: tuple[str, ...]                   # rewriting policies of ``solve``
    solve: Callable[..., Result]                # solve(instance, *, init, policy, steps, ...)
    check_schedule: Callable[[Any, dict, str], list[str]]  # instance, schedule JSON, path -> violations
    methods: Callable[[], dict[str, Method]]    # the comparison methods by name
    expand_instances: Callable[[str], list[str]]  # "ta41-50,ft06" -> names
    group: Callable[[Any], str]                 # an instance's row group in summary tables
    rewrite_problem: Callable[[dict], Any] | None  # training options -> a RewriteProblem
                                                # (None: the problem has no learned policy yet)
    has_bounds: bool = False                    # instances come with best-known bounds (gaps)
    instances_help: str = "names or paths, comma separated"  # what `compare --instances` takes
    warm_up_instance: str | None = None         # a small bundled instance each compare process
                                                # solves once per method, untimed (cells.py)
    default_policy: str = "learned"
    default_steps: int = 200
    policy_steps: dict = field(default_factory=dict)  # policies whose default budget is another
                                                # (jssp's controlled search counts tabu moves)
    default_decoding: str = "argmax"            # the learned search's decoding for one trajectory
    solve_options: tuple[Option, ...] = ()      # extra keywords of ``solve`` (and CLI flags)
    train_options: tuple[Option, ...] = ()      # extra training fields, saved with the model
    train_presets: dict = field(default_factory=dict)  # TrainConfig defaults for this problem
    list_instances: Callable[[], list[dict]] | None = None  # bundled instances with bounds
    quoted: Callable[[], list[dict]] | None = None  # published figures: method, group, value, citation
    plot_schedule: Callable[[Result, str], None] | None = None  # a Gantt chart, where it has one
    exports: dict = field(default_factory=dict)  # public name -> module: `from rewriter import NAME`
    # is this file in one of its own formats, even a malformed one? Then its errors are this
    # problem's to report when no problem recognizes the file (registry.infer)
    claims_file: Callable[[str], bool] | None = None

    def steps_for(self, policy: str) -> int:
        """The step budget of ``policy`` when the caller gives none."""
        return self.policy_steps.get(policy, self.default_steps)
