"""What a problem tells the rest of the package about itself: one :class:`ProblemSpec`.

A problem is a sub-package that builds one ``ProblemSpec`` and is named in the registry
(:mod:`rewriter.registry`). ``solve``, ``validate``, ``compare``, ``train``, ``instances`` and the
Python API reach the problem only through it, so nothing outside the sub-package names it.

Building a spec must stay cheap: ``rewriter --help`` reads every registered spec, so a spec
module imports its numba kernels, torch and solvers only inside the functions it hands over.

A problem's package never imports what is built on it. A learner that serves the problem adds
its policies, start rules, comparison methods and options to the problem's spec
(:meth:`ProblemSpec.with_policy`, :meth:`~ProblemSpec.with_start_rule`,
:meth:`~ProblemSpec.with_methods`), and :meth:`ProblemSpec.run` hands a solve to whoever owns
the policy: the learner's runner, which calls down into the problem, or the problem's own
``solve``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import cache, partial
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

    ``run(instance, budget=..., init=..., seed=..., threads=...)`` returns a :class:`Result`;
    a method that ``takes_init`` also takes ``start`` and ``started`` when the ``@RULE`` is a
    learner's :class:`StartRule` (the schedule, and the clock's start from before building it).
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
    only_for: tuple[str, ...] = ()  # the policies that read it (empty: any); given to another,
                                    # it is refused in one line, whoever owns that policy


@dataclass(frozen=True)
class Policy:
    """A policy a learner adds to a problem it serves: ``run(instance, *, init, steps, time_limit,
    seed, progress, start, **options)`` returns a :class:`Result`, reaching the problem through
    what its package exposes (its initial schedule, its search loop, its ``make_result``).
    ``start``, when not None, is the schedule to start from (built by a learner's start rule)."""

    name: str
    run: Callable[..., Result]
    help: str
    default_steps: int | None = None  # its step budget when the caller gives none (None: the spec's)
    options: tuple[Option, ...] = ()  # the solve keywords (and CLI flags) only it reads
    starts_from_init: bool = True     # False: it builds its own schedule; ``init`` is a label


@dataclass(frozen=True)
class StartRule:
    """An initial schedule a learner adds to a problem (``--init NAME``): ``build(instance, *,
    policy, **options)`` returns the schedule the problem's search then starts from."""

    name: str
    build: Callable[..., Any]
    help: str
    options: tuple[Option, ...] = ()


def _refuse_options_of_others(options: dict, chosen: tuple, learners: tuple) -> None:
    """Remove from ``options`` every option a learner added that none of ``chosen`` (the policy
    and start rule of a solve, or None) reads; one that was given (not None) is an error."""
    read = {o.name for owner in chosen if owner is not None for o in owner.options}
    for owner in learners:
        for option in owner.options:
            if option.name not in read and options.pop(option.name, None) is not None:
                kind = "policy" if isinstance(owner, Policy) else "start rule"
                raise InputError(f"{option.name.replace('_', ' ')} is an option of the "
                                 f"{owner.name} {kind} only")


@cache  # one set of methods per pair, so a parsed spec equals its re-parse
def _joined_methods(first: Callable[[], dict], second: Callable[[], dict]) -> dict[str, Method]:
    return {**first(), **second()}


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
    policies: tuple[str, ...]                   # rewriting policies (its own, then learners')
    solve: Callable[..., Result]                # solve(instance, *, init, policy, steps, start,
                                                # ...): the problem's own policies (see ``run``)
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
    # another library's instance object -> one of ours (of this problem or one it contains, as a
    # job shop is a flexible one), None when it is no object this problem converts
    # (rewriter.load_instance); its InputError says what cannot be converted
    adopt: Callable[[Any], Any] | None = None
    # the values of a ``method`` option whose runs call the search's kernels: the warm-up
    # prepares them by a short search before the clock (rewriter.warmup.solve)
    searching_methods: tuple[str, ...] = ("search",)
    added_policies: dict = field(default_factory=dict)     # name -> Policy, by learners
    added_start_rules: dict = field(default_factory=dict)  # name -> StartRule, by learners

    def with_policy(self, policy: Policy, default: bool = False) -> ProblemSpec:
        """This spec with a learner's ``policy`` (the default policy when ``default``)."""
        steps = {} if policy.default_steps is None else {policy.name: policy.default_steps}
        return replace(self, policies=(*self.policies, policy.name),
                       added_policies={**self.added_policies, policy.name: policy},
                       policy_steps={**self.policy_steps, **steps},
                       default_policy=policy.name if default else self.default_policy,
                       solve_options=self._with_options(policy.options))

    def with_start_rule(self, rule: StartRule) -> ProblemSpec:
        """This spec with a learner's initial schedule ``rule`` among its init rules."""
        return replace(self, init_rules=(*self.init_rules, rule.name),
                       added_start_rules={**self.added_start_rules, rule.name: rule},
                       solve_options=self._with_options(rule.options))

    def with_methods(self, methods: Callable[[], dict[str, Method]]) -> ProblemSpec:
        """This spec with a learner's comparison methods after its own."""
        return replace(self, methods=partial(_joined_methods, self.methods, methods))

    def _with_options(self, options: tuple[Option, ...]) -> tuple[Option, ...]:
        known = {o.name for o in self.solve_options}
        return self.solve_options + tuple(o for o in options if o.name not in known)

    def run(self, instance, *, init: str, policy: str, **options) -> Result:
        """Solve ``instance`` with any of :attr:`policies` from any of :attr:`init_rules`.

        A learner's start rule builds the start schedule (``start``; the clock runs from before
        it, ``started``); a learner's policy runs by its own runner, any other by the problem's
        :attr:`solve`, as does every ``method`` but ``"search"`` (an exact solver such as CP-SAT
        applies no policy). An option a learner added reaches only the policy or the rule that
        reads it; given (not None) to another, it is refused. ``steps`` defaults to
        :meth:`steps_for` the policy."""
        options.setdefault("steps", self.steps_for(policy))
        self._refuse_options_of_other_policies(policy, options)
        searching = options.get("method", "search") == "search"
        added = self.added_policies.get(policy) if searching else None
        rule = self.added_start_rules.get(init)
        _refuse_options_of_others(options, (added, rule), self._learners())
        if rule is not None and options.get("start") is None and (added is None or added.starts_from_init):
            options.setdefault("started", time.perf_counter())
            options["start"] = rule.build(instance, policy=policy, **options)
        for option in rule.options if rule is not None else ():
            if added is None or option not in added.options:
                options.pop(option.name, None)  # the rule's alone: read
        if added is not None:
            return added.run(instance, init=init, **options)
        return self.solve(instance, init=init, policy=policy, **options)

    def _refuse_options_of_other_policies(self, policy: str, options: dict) -> None:
        for option in self.solve_options:
            if option.only_for and policy not in option.only_for \
                    and options.get(option.name) is not None:
                raise InputError(f"{option.name.replace('_', ' ')} is an option of the "
                                 f"{' or '.join(option.only_for)} policy, not of {policy}")

    def _learners(self) -> tuple:
        return (*self.added_policies.values(), *self.added_start_rules.values())

    def steps_for(self, policy: str) -> int:
        """The step budget of ``policy`` when the caller gives none."""
        return self.policy_steps.get(policy, self.default_steps)
