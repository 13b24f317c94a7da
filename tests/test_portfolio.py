"""Independent searches side by side (``solve(searches=N)``, ``rewriter solve --searches N``)."""

import json
import subprocess
import sys
import time

import pytest

from rewriter import registry
from rewriter.cli import main
from rewriter.core.portfolio import run_side_by_side
from rewriter.errors import InputError
from rewriter.jssp.bundled import load_instance
from rewriter.jssp.solve import solve
from rewriter.jssp.validate import check_schedule

from .processes import alive, code_env, descendants, interrupt


def test_the_best_of_two_searches_is_the_better_of_the_two_seeds_run_alone():
    inst = load_instance("ta01")
    alone = [solve(inst, policy="tabu", steps=3000, seed=s) for s in (7, 8)]
    both = solve(inst, policy="tabu", steps=3000, seed=7, searches=2)
    assert both.info["makespans"] == [r.makespan for r in alone]
    winner = min(alone, key=lambda r: (r.makespan, r.seed))
    assert both.makespan == winner.makespan and both.info["best_seed"] == winner.seed
    assert both.seed == 7 and both.info["searches"] == 2 and both.status == winner.status
    check_schedule(inst, both.solution.start_matrix(), both.makespan)


def test_controlled_searches_side_by_side_keep_the_controller():
    r = registry.get("jssp").run(load_instance("ft10"), init="mwkr", policy="controlled",
                                 controller="hand", steps=20000, seed=0, searches=2)
    assert r.info["controller"] == "hand" and len(r.info["makespans"]) == 2
    assert r.makespan == min(r.info["makespans"])


def test_a_time_limit_bounds_the_whole_run():
    t0 = time.perf_counter()
    r = solve(load_instance("ta41"), policy="tabu", steps=None, time_limit=1.5, searches=2)
    assert time.perf_counter() - t0 < 6 and r.status == "time_limit"


@pytest.mark.parametrize("kwargs, message", [
    ({"policy": "learned", "searches": 2}, "not of learned"),
    ({"policy": "tabu", "searches": 0}, "searches must be >= 1"),
])
def test_side_by_side_is_refused_where_it_does_not_apply(kwargs, message):
    with pytest.raises(InputError, match=message):
        registry.get("jssp").run(load_instance("ft06"), init="mwkr", steps=10, **kwargs)


def test_the_cli_refuses_searches_with_cpsat(capsys):
    assert main(["solve", "ft06", "--method", "cpsat", "--searches", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--searches is an option of --method search" in err[0]


def _fails(**_):
    raise ValueError("this search failed")


def _returns(value):
    return value


def test_an_exception_in_one_search_is_raised_in_the_caller():
    with pytest.raises(ValueError, match="this search failed"):
        run_side_by_side(_fails, [{}, {}])
    assert run_side_by_side(_returns, [{"value": 1}, {"value": 2}]) == ([1, 2], False)


@pytest.mark.parametrize("to_group", [True, False])
def test_ctrl_c_returns_the_best_of_the_searches_so_far(tmp_path, to_group):
    """A Ctrl-C in the terminal (the whole process group) or to the parent alone: each search
    stops with its best, the best of them is validated and written, no search outlives it."""
    out = tmp_path / "s.json"
    argv = [sys.executable, "-m", "rewriter", "solve", "ta41", "--policy", "tabu", "--steps", "0",
            "--time-limit", "60", "--searches", "2", "--out", str(out), "--quiet"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=code_env(), start_new_session=True)
    deadline = time.monotonic() + 60
    while len(descendants(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    searches = descendants(proc.pid)
    assert len(searches) >= 2, proc.communicate()[1]
    time.sleep(2.0)  # both are searching
    err = interrupt(proc, group=to_group, within=10)
    assert proc.returncode == 0, err
    data = json.loads(out.read_text())
    assert data["status"] == "interrupted" and data["info"]["searches"] == 2
    assert data["makespan"] == min(data["info"]["makespans"])
    assert data["makespan"] < data["init_makespan"]
    time.sleep(0.2)
    assert not [p for p in searches if alive(p)], "a search outlived the run"
