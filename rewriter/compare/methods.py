"""Method specs for comparisons: ``mwkr``, ``tabu:60``, ``cpsat:60``, ``greedy``, ``random:500``.

A spec is a method name of the problem (:meth:`ProblemSpec.methods`), an optional budget after a
colon (seconds or steps, as the method says) and, for searches, the heuristic they start from
after ``@`` (``tabu:60@spt``; default: the problem's default heuristic). One parser for every
problem: :func:`parse_method` checks a spec against the problem's methods.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from .. import registry
from ..core.spec import Method, ProblemSpec, StartRule
from ..errors import InputError


#: how a method's budget is written in the list of methods, by what it counts (``construct:K``
#: keeps the best of K sampled schedules; without ``:K`` it decodes greedily)
BUDGET_SHOWN = {"seconds": ":S", "steps": ":STEPS", "samples": "[:K]"}


@dataclass(frozen=True)
class Choice:
    """One column of a comparison: a problem's method with its budget and start."""

    method: Method
    budget: float | None = None
    init: str | None = None
    start_rule: StartRule | None = None  # builds the @init start when a learner added the rule

    @property
    def name(self) -> str:
        return self.method.name

    @property
    def spec(self) -> str:
        """The canonical spec string, also the column title and the results-file key."""
        text = self.method.spec_name or self.method.name
        if self.budget is not None:
            text += f":{self.budget:g}"
        if self.init is not None:
            text += f"@{self.init}"
        return text

    @property
    def kind(self) -> str:
        if self.method.uses_threads:
            return "solver"
        return "search" if self.method.budget else "rule"

    def run(self, instance, seed: int = 0, threads: int = 1, model: str | None = None):
        kwargs = {"seed": seed, "threads": threads}
        if self.method.uses_model and model:
            kwargs["model"] = model
        if self.method.budget:
            kwargs["budget"] = self.budget
        if self.init is not None:
            kwargs["init"] = self.init
        if self.start_rule is not None:  # its time is the method's, as inside a solve
            kwargs["started"] = time.perf_counter()
            kwargs["start"] = self.start_rule.build(instance, policy=self.method.name)
        return self.method.run(instance, **kwargs)


def parse_method(text: str, spec: ProblemSpec | None = None) -> Choice:
    """Parse one spec for problem ``spec`` (default: the default problem); raises
    :class:`InputError` naming what was expected."""
    spec = spec or registry.default()
    methods = spec.methods()
    raw = text.strip().lower()
    if not raw:
        raise InputError("empty method spec")
    body, at, init = raw.partition("@")
    name, colon, budget_text = body.partition(":")
    method = methods.get(name)
    if (colon or at) and (method is None or not method.budget):
        aliased = [m for m in methods.values() if m.spec_name == name]
        method = aliased[0] if aliased else method
    if method is None:
        raise InputError(f"unknown method {name!r} in {text!r}; expected one of: "
                         + ", ".join(_shown(m) for m in methods.values()))
    if not method.budget and (colon or at):
        raise InputError(f"method {text!r}: {name} takes no budget or @init")
    budget = method.default_budget
    if colon:
        try:
            budget = float(budget_text)
        except ValueError:
            raise InputError(f"method {text!r}: expected a number after ':', found {budget_text!r}") from None
        if budget <= 0:
            raise InputError(f"method {text!r}: the budget must be positive")
        if method.budget in ("steps", "samples") and budget != int(budget):
            raise InputError(f"method {text!r}: the budget of {name} counts {method.budget}, "
                             "expected an integer")
    if at:
        if not method.takes_init:
            raise InputError(f"method {text!r}: {name} takes no @init")
        if init not in spec.init_rules:
            raise InputError(f"method {text!r}: unknown initial rule {init!r}; expected one of: "
                             + ", ".join(spec.init_rules))
    init = init if at and init != spec.default_init else None
    return Choice(method, budget, init, spec.added_start_rules.get(init))


def _shown(method: Method) -> str:
    name = method.spec_name or method.name
    return name + BUDGET_SHOWN.get(method.budget, "")


def parse_methods(text: str, spec: ProblemSpec | None = None) -> list[Choice]:
    choices = [parse_method(part, spec) for part in text.split(",") if part.strip()]
    if not choices:
        raise InputError("no methods given; e.g. --methods fifo,mwkr,tabu:60,cpsat:60")
    specs = [c.spec for c in choices]
    duplicates = sorted(spec for spec, times in Counter(specs).items() if times > 1)
    if duplicates:
        raise InputError(f"method listed twice: {', '.join(duplicates)}")
    return choices
