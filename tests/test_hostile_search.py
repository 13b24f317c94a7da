"""Hostile probes of the searches and the commands around them (issue 32): a time limit and a
Ctrl-C hold when one flexible-shop step scans thousands of operations."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from rewriter.cli import main
from rewriter.learn.config import TrainConfig
from rewriter.core.loop import run
from rewriter.fjsp import search as fjsp_search
from rewriter.fjsp.bundled import load_instance
from rewriter.fjsp.dispatching import dispatch_schedule
from rewriter.fjsp.schedule import objective_value
from rewriter.fjsp.search import FlexibleLocalSearch, FlexibleTabuSettings

# one tabu step on it scans ~630 operations, each with exact tardiness evaluations: ~0.5 s with
# every move priced exactly (pricing="exact", the default prices them in ~1 ms), which is what
# these tests need: a step longer than the budgets and the Ctrl-C delays below
LONG_STEPS = "tight_300x60_s0"


@pytest.fixture(scope="module")
def long_start():
    inst = load_instance(LONG_STEPS)
    start = dispatch_schedule(inst, "mwkr-eet", 0)
    for pricing in ("exact", "estimate"):  # compiled, untimed
        _tardiness_search(start, pricing=pricing).advance(1)
    return start


def _tardiness_search(start, policy="tabu", pricing="exact"):
    return FlexibleLocalSearch(start, policy, objective="tardiness",
                               settings=FlexibleTabuSettings(pricing=pricing))


@pytest.mark.parametrize("policy", ["tabu", "greedy"])
def test_a_time_limit_shorter_than_one_step_holds(long_start, policy):
    t = time.perf_counter()
    outcome = run(_tardiness_search(long_start, policy), None, time_limit=0.2)
    assert time.perf_counter() - t < 1.0  # 16 steps of ~0.5 s before
    assert outcome.status == "time_limit"


@pytest.mark.parametrize("pricing", ["exact", "estimate"])
def test_a_long_time_limit_still_runs_steps_and_keeps_their_gain(long_start, pricing):
    outcome = run(_tardiness_search(long_start, pricing=pricing), None, time_limit=1.2)
    assert outcome.status == "time_limit" and outcome.steps >= 1 and outcome.runtime_s < 2.2
    assert outcome.best_cost < outcome.initial_cost
    assert objective_value(outcome.best.values(), "tardiness") == outcome.best_cost


def test_a_ctrl_c_inside_a_long_step_ends_the_search_promptly(long_start):
    search = _tardiness_search(long_start)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    t = time.perf_counter()
    timer.start()
    try:
        outcome = run(search, None, time_limit=60)
    finally:
        timer.cancel()
    assert outcome.status == "interrupted" and time.perf_counter() - t < 1.3


def test_a_ctrl_c_landing_as_the_kernel_returns_keeps_its_steps_and_best(long_start, monkeypatch):
    """Python raises the KeyboardInterrupt of a Ctrl-C that came during a kernel call at the first
    bytecode after it: the steps and best the kernel kept must still be reported."""
    kernel = fjsp_search.search_chunk
    calls = []

    def interrupted_after_a_step(*args):
        result = kernel(*args)
        calls.append(result)
        if sum(int(r[0]) for r in calls) >= 2:
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(fjsp_search, "search_chunk", interrupted_after_a_step)
    search = _tardiness_search(long_start)
    outcome = run(search, None, time_limit=60)
    assert outcome.status == "interrupted"
    assert outcome.steps == sum(int(r[0]) for r in calls) >= 2
    assert outcome.best_cost < outcome.initial_cost
    assert objective_value(outcome.best.values(), "tardiness") == outcome.best_cost


# --- training options checked before the run directory is written ----------------------------

def _train_refused(tmp_path, capsys, monkeypatch, *options) -> str:
    """``rewriter train OPTIONS`` into a fresh run directory: exit 2, one line, nothing written
    (and no training started: it would run for minutes, or crash the process)."""
    import rewriter.learn.train as core_train

    def started(*args, **kwargs):
        raise AssertionError(f"training started with {options}")

    monkeypatch.setattr(core_train, "_train", started)
    run_dir = tmp_path / "run"
    code = main(["train", "--run-dir", str(run_dir), "--iterations", "1", "--quiet", *options])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not run_dir.exists() or not any(run_dir.iterdir())
    return err


@pytest.mark.parametrize("threads", ["5000", str((os.cpu_count() or 1) + 1), "0", "-3"])
def test_train_refuses_more_threads_than_cores_before_writing(tmp_path, capsys, monkeypatch,
                                                              threads):
    err = _train_refused(tmp_path, capsys, monkeypatch, "--threads", threads)
    assert "threads" in err and threads in err


def test_a_saved_run_with_more_threads_than_this_machine_resumes_with_its_cores(tmp_path):
    from rewriter.learn.train import resume_config

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    config = TrainConfig(problem="jssp", sizes=["4x3"], init_rules=["fifo"],
                         validation_sizes=["4x3"], validation_init="fifo", threads=1)
    values = config.to_dict()
    values["threads"] = (os.cpu_count() or 1) + 64  # saved on a larger machine
    (run_dir / "config.json").write_text(json.dumps({"config": values}))
    assert resume_config(run_dir).threads == (os.cpu_count() or 1)


def _no_construct_training(monkeypatch):
    import rewriter.learn.construct.mrt.train as mrt_construct
    import rewriter.learn.construct.train as construct

    def started(*args, **kwargs):
        raise AssertionError("constructive training started")

    monkeypatch.setattr(construct, "train_construct", started)
    monkeypatch.setattr(mrt_construct, "train_mrt_construct", started)


@pytest.mark.parametrize("options, named", [
    (("--problem", "jssp", "--sizes", "100000x100000"), "--sizes"),
    (("--problem", "jssp", "--validation-sizes", "10x10,100000x100000"), "--validation-sizes"),
    (("--problem", "mrt", "--sizes", "10000000000"), "--sizes"),
    (("--problem", "jssp", "--approach", "construct", "--sizes", "100000x100000"), "sizes"),
    (("--problem", "jssp", "--hidden", "100000000"), "hidden"),
    (("--problem", "fjsp", "--hidden", "100000000"), "hidden"),
    (("--problem", "mrt", "--mlp-hidden", "100000000"), "mlp-hidden"),
    (("--problem", "jssp", "--approach", "construct", "--embed-dim", "100000000"), "embed-dim"),
    (("--problem", "mrt", "--approach", "construct", "--embed-dim", "100000000"), "embed-dim"),
    (("--problem", "jssp", "--approach", "construct", "--layers", "100000000"), "layers"),
    (("--problem", "jssp", "--approach", "construct", "--network", "graph", "--rounds",
      "100000000"), "rounds"),
])
def test_absurd_training_sizes_and_widths_are_one_line_before_writing(tmp_path, capsys,
                                                                      monkeypatch, options,
                                                                      named):
    _no_construct_training(monkeypatch)
    err = _train_refused(tmp_path, capsys, monkeypatch, *options)
    assert named in err and "at most" in err


# --- the flexible shop's validator reads the machine sequences too ----------------------------

@pytest.fixture(scope="module")
def mk01_schedule() -> dict:
    inst = load_instance("mk01")
    return dispatch_schedule(inst, "mwkr-eet", 0).to_dict()


def _validate(tmp_path, capsys, data) -> tuple[int, str, str]:
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(data))
    code = main(["validate", "mk01", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def _sequences_changed(schedule: dict, change) -> dict:
    data = json.loads(json.dumps(schedule))
    data["machine_sequences"] = change(data["machine_sequences"])
    return data


def test_fjsp_validate_accepts_the_sequences_solve_writes(tmp_path, capsys, mk01_schedule):
    code, out, _ = _validate(tmp_path, capsys, mk01_schedule)
    assert code == 0 and out.startswith("valid")


def _moved_to_next_machine(seqs):
    first = next(i for i, seq in enumerate(seqs) if seq)
    seqs[(first + 1) % len(seqs)].append(seqs[first].pop())
    return seqs


@pytest.mark.parametrize("change, said", [
    (lambda seqs: [seq[::-1] for seq in seqs], "which the start times contradict"),
    (_moved_to_next_machine, "which runs on machine"),
    (lambda seqs: [seq[1:] if i == 0 else seq for i, seq in enumerate(seqs)], "missing"),
    (lambda seqs: [seq + seq[:1] if i == 0 else seq for i, seq in enumerate(seqs)],
     "more than once"),
])
def test_fjsp_validate_rejects_sequences_that_disagree_with_the_operations(
        tmp_path, capsys, mk01_schedule, change, said):
    code, out, _ = _validate(tmp_path, capsys, _sequences_changed(mk01_schedule, change))
    assert code == 1 and out.startswith("invalid") and said in out


@pytest.mark.parametrize("sequences", ["garbage", [[]], [["x"]] * 6, [[[0, 99]]] * 6,
                                       [[[0, 0, 0]]] * 6, [[[True, 0]]] * 6])
def test_fjsp_validate_refuses_malformed_sequences_in_one_line(tmp_path, capsys, mk01_schedule,
                                                               sequences):
    code, _, err = _validate(tmp_path, capsys, {**mk01_schedule, "machine_sequences": sequences})
    assert code == 2 and len(err.strip().splitlines()) == 1 and "machine_sequences" in err


# --- a bound written in an instance file is a claim, not a fact ------------------------------

def _with_bound(tmp_path, problem: str, lower: int) -> str:
    """mk01 (fjsp) or ft06 (jssp) as a JSON file of the user's claiming ``lower`` as both bounds."""
    if problem == "fjsp":
        from rewriter.fjsp.io import instance_to_dict

        data = instance_to_dict(load_instance("mk01"))
        data.update(lower_bound=lower, upper_bound=lower, optimal=False)
    else:
        from rewriter.jssp.bundled import load_instance as load_job_shop
        from rewriter.jssp.io import instance_to_dict

        data = instance_to_dict(load_job_shop("ft06"))
        data["metadata"].update(lower_bound=lower, upper_bound=lower, optimal=False)
    path = tmp_path / f"claimed_{problem}.json"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize("problem, policy", [("fjsp", "tabu"), ("fjsp", "greedy"),
                                             ("jssp", "tabu"), ("jssp", "none")])
def test_a_lower_bound_above_a_schedule_found_is_one_line_naming_the_file(tmp_path, capsys,
                                                                          problem, policy):
    path = _with_bound(tmp_path, problem, 1000)
    code = main(["solve", path, "--problem", problem, "--policy", policy, "--steps", "50"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert path in err and "lower_bound 1000" in err


@pytest.mark.parametrize("problem, claimed", [("fjsp", 42), ("jssp", 56)])
def test_a_lower_bound_from_a_file_never_stops_the_search_or_makes_it_optimal(tmp_path, capsys,
                                                                              problem, claimed):
    """The claimed bound lies between the optimum and the start (mk01: 40 < 42 < 44; ft06:
    55 < 56 < 67): the search must not stop on it nor call what it reached optimal; it goes on
    below the claim, and the schedule it finds there is what makes the bound an error."""
    path = _with_bound(tmp_path, problem, claimed)
    out = tmp_path / "result.json"
    code = main(["solve", path, "--problem", problem, "--policy", "tabu", "--steps", "300",
                 "--seed", "0", "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists() and len(err.strip().splitlines()) == 1
    assert path in err and f"lower_bound {claimed} exceeds the makespan" in err
    assert "the tabu result" in err


def test_the_bundled_bounds_still_end_the_search_as_optimal():
    from rewriter.fjsp.solve import solve

    result = solve(load_instance("mk01"), steps=3000, seed=0)
    assert result.status == "optimal" and result.makespan == 40 and result.steps < 3000


def test_the_api_refuses_a_lower_bound_above_the_start_schedule():
    from rewriter.errors import InputError
    from rewriter.fjsp.solve import solve

    instance = load_instance("mk01")
    instance.lower_bound = 1000
    with pytest.raises(InputError, match="lower_bound 1000"):
        solve(instance, steps=10)
