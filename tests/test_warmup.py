"""The kernels a method needs are compiled (or loaded) before the search's clock starts."""

from __future__ import annotations

import io
import sys

import pytest

from rewriter import load_instance, registry, warmup


def _kernels() -> dict:
    """Every numba kernel of the package imported so far, with its number of compiled
    signatures (loading one from numba's cache counts as compiling it here)."""
    from numba.core.dispatcher import Dispatcher

    found = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("rewriter") or module is None:
            continue
        for attr in vars(module).values():
            if isinstance(attr, Dispatcher):
                found[attr] = len(attr.overloads)
    return found


def _new_signatures(before: dict) -> list[str]:
    return [d.py_func.__qualname__ for d, n in _kernels().items() if len(d.overloads) > before.get(d, 0)]


CASES = [
    ("la01", "jssp", "mwkr", "controlled", {}),
    ("la01", "jssp", "mwkr", "tabu", {}),
    ("la01", "jssp", "fifo", "greedy", {}),
    ("la01", "jssp", "mwkr", "random", {}),
    ("la01", "jssp", "mwkr", "learned", {}),
    ("mk01", "fjsp", "mwkr-eet", "tabu", {}),
    ("mk01", "fjsp", "mwkr-eet", "greedy", {}),
    ("mk01", "fjsp", "mwkr-eet", "random", {}),
    ("mk01", "fjsp", "mwkr-eet", "learned", {}),
    ("tight_50x10_s0", "fjsp", "edd-eet", "tabu", {"objective": "tardiness"}),
    ("tight_50x10_s0", "fjsp", "edd-eet", "tabu", {"objective": "combined"}),
    ("mrt_d20_test_00000", "mrt", "ejf", "learned", {}),
    ("mrt_d20_test_00000", "mrt", "ejf", "greedy", {}),
]


@pytest.mark.parametrize("name,problem,init,policy,options", CASES,
                         ids=[f"{c[0]}-{c[3]}-{c[4].get('objective', '')}" for c in CASES])
def test_after_prepare_the_timed_search_compiles_nothing(name, problem, init, policy, options):
    spec = registry.get(problem)
    if init not in spec.init_rules or policy not in spec.policies:
        pytest.fail(f"{init}/{policy} is not a rule/policy of {problem}")
    instance = load_instance(name, problem)
    warmup.prepare(spec, init=init, policy=policy, options=options, stream=io.StringIO())
    before = _kernels()
    result = spec.run(instance, init=init, policy=policy, steps=warmup.WARM_UP_STEPS.get(
        policy, 30), seed=3, **options)
    assert result.steps > 0 or result.status in ("local_optimum", "optimal")
    assert _new_signatures(before) == []


def test_solve_reports_the_preparing_time_apart_and_prepares_once():
    spec = registry.get("jssp")
    warmup._PREPARED.discard(("jssp", "spt", "greedy", ()))
    stream = io.StringIO()
    first = warmup.solve(spec, load_instance("ft06"), init="spt", policy="greedy", steps=5,
                         stream=stream)
    assert first.compile_s > 0
    assert first.to_dict()["compile_s"] == round(first.compile_s, 4)
    again = warmup.solve(spec, load_instance("la01"), init="spt", policy="greedy", steps=5)
    assert again.compile_s == 0.0


def test_the_notice_is_one_line_and_only_when_numba_compiles():
    from numba import njit

    stream = io.StringIO()
    with warmup.compile_notice(stream) as state:
        njit(lambda x: x + 1)(1)  # a new function: numba must compile it
    assert state["compiled"]
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.startswith("rewriter: compiling") and text.endswith(" s\n")
    quiet = io.StringIO()
    with warmup.compile_notice(quiet) as state:
        pass
    assert not state["compiled"] and quiet.getvalue() == ""


def test_the_warmup_command_prepares_each_policy_asked_for(capsys):
    from rewriter.cli import main

    assert main(["warmup", "--problem", "mrt", "--policy", "greedy,none"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[:2] for line in lines[:2]] == [["mrt", "greedy"], ["mrt", "none"]]
    assert lines[-1].startswith("kernels ready: 2 methods")


def test_the_warmup_command_refuses_a_policy_no_problem_has(capsys):
    from rewriter.cli import main

    assert main(["warmup", "--problem", "mrt", "--policy", "controlled"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--policy controlled: not a policy of mrt" in err
