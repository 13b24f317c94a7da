"""The problems the package knows, by command-line name.

The built-in problems are listed here by module; each module defines ``SPEC``, a
:class:`~rewriter.core.spec.ProblemSpec`. Another package (or a test) adds one with
:func:`register`. Nothing else in the package names a problem.

A problem's package knows nothing of the learners built on it: when a built-in spec is first
asked for, each learner's registration module (:data:`LEARNERS`) adds the policies, start rules,
comparison methods and options it brings to the problems it serves. Registration imports
neither torch nor numba, so ``rewriter --help`` stays light.
"""

from __future__ import annotations

from importlib import import_module

from .core.spec import ProblemSpec
from .errors import InputError

#: the built-in problems: module defining SPEC (imported on first use)
BUILTIN = {"jssp": "rewriter.jssp.spec", "mrt": "rewriter.mrt.spec", "fjsp": "rewriter.fjsp.spec",
           "crew": "rewriter.crew.spec"}

#: the learners, by the module whose ``register(spec) -> spec`` adds what they bring to a problem
LEARNERS = ("rewriter.learn.register", "rewriter.learn.construct.register",
            "rewriter.learn.control.register", "rewriter.learn.dqn.register",
            "rewriter.learn.regions.register", "rewriter.learn.crew.register",
            "rewriter.learn.hierarchical.register")

_registered: dict[str, ProblemSpec] = {}


def register(spec: ProblemSpec) -> ProblemSpec:
    """Make ``spec`` available to every command under ``spec.name`` (replacing one of that name)."""
    _registered[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    _registered.pop(name, None)


def names() -> list[str]:
    return list(BUILTIN) + [n for n in _registered if n not in BUILTIN]


def get(name: str) -> ProblemSpec:
    """The spec of problem ``name``; an :class:`InputError` lists the known ones."""
    if name in _registered:
        return _registered[name]
    if name in BUILTIN:
        return register(with_learners(import_module(BUILTIN[name]).SPEC))
    raise InputError(f"unknown problem {name!r}; expected one of: {', '.join(names())}")


def with_learners(spec: ProblemSpec) -> ProblemSpec:
    """``spec`` with what every learner of :data:`LEARNERS` brings to it."""
    for module in LEARNERS:
        spec = import_module(module).register(spec)
    return spec


def default() -> ProblemSpec:
    return get(names()[0])


def infer(instance: str) -> ProblemSpec:
    """The problem whose instances ``instance`` (a bundled name or a file) looks like: the first
    registered problem that recognizes it; else the first whose format the file is in (a
    malformed flexible-shop CSV is reported in CSV terms, not as a bad job-shop file); else the
    default problem. The problem chosen then says what is wrong with the file."""
    specs = [get(name) for name in names()]
    for spec in specs:
        if spec.recognizes(instance):
            return spec
    for spec in specs:
        if spec.claims_file is not None and spec.claims_file(instance):
            return spec
    return default()


def for_instance(instance) -> ProblemSpec:
    """The spec of the problem ``instance`` belongs to (by its type)."""
    kind = f"{type(instance).__module__}.{type(instance).__qualname__}"
    for name in names():
        spec = get(name)
        if spec.instance_type == kind:
            return spec
    raise InputError(f"no registered problem solves a {type(instance).__name__}")


def exported(name: str):
    """The module that defines public name ``name`` for ``from rewriter import NAME``, or None."""
    for problem in names():
        module = get(problem).exports.get(name)
        if module is not None:
            return module
    return None
