"""The registry: a problem defined only under tests/ is solved, validated, compared and trained
through the command line, and the core stands alone."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest

from rewriter import registry
from rewriter.cli import main

from . import smtwt


@pytest.fixture
def third_problem():
    registry.register(smtwt.SPEC)
    yield smtwt.SPEC
    registry.unregister("smtwt")


def test_a_third_problem_is_solved_validated_compared_and_trained_by_the_cli(third_problem, tmp_path, capsys):
    out = tmp_path / "s.json"
    assert main(["solve", "smtwt-7-3", "--policy", "greedy", "--out", str(out), "--quiet"]) == 0
    data = json.loads(out.read_text())
    inst = smtwt.load_instance("smtwt-7-3")
    best = min(smtwt.tardiness(inst, p) for p in itertools.permutations(range(7)))
    assert data["problem"] == "smtwt" and data["tardiness"] >= best
    assert data["tardiness"] == smtwt.tardiness(inst, data["sequence"]) <= data["init_tardiness"]
    assert main(["validate", "smtwt-7-3", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"valid: tardiness {data['tardiness']}")
    data["tardiness"] += 1
    out.write_text(json.dumps(data))
    assert main(["validate", "smtwt-7-3", str(out)]) == 1

    results = tmp_path / "r.jsonl"
    assert main(["compare", "--problem", "smtwt", "--instances", "smtwt-6-1,smtwt-6-2",
                 "--methods", "edd,spt,descent:20", "--results", str(results), "--no-quoted"]) == 0
    table = capsys.readouterr().out
    assert "Tardiness per instance" in table and "n=6" in table and "descent:20" in table
    assert len(results.read_text().splitlines()) == 6

    run = tmp_path / "run"
    assert main(["train", "--problem", "smtwt", "--run-dir", str(run), "--iterations", "2",
                 "--episodes", "2", "--episode-steps", "3", "--hidden", "8", "--mlp-hidden", "8",
                 "--validation-per-size", "1", "--validation-steps", "3", "--quiet"]) == 0
    config = json.loads((run / "config.json").read_text())["config"]
    assert config["problem"] == "smtwt" and config["problem_options"] == {"swap_span": 1}
    assert main(["solve", "smtwt-7-3", "--model", str(run / "model.pt"), "--steps", "5",
                 "--out", str(out), "--quiet"]) == 0
    data = json.loads(out.read_text())
    assert data["method"] == "learned" and data["tardiness"] == smtwt.tardiness(inst, data["sequence"])


def test_an_option_of_another_problem_is_refused_by_name(third_problem, capsys):
    assert main(["solve", "smtwt-5-1", "--tie-break", "pressure"]) == 2
    assert "not an option of smtwt" in capsys.readouterr().err


def test_the_core_loads_no_problem_numba_or_learner():
    code = ("import sys, rewriter.core, rewriter.core.problem, rewriter.core.loop, "
            "rewriter.core.result, rewriter.core.spec; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('numba', 'torch') or m.startswith("
            "('rewriter.jssp', 'rewriter.mrt', 'rewriter.fjsp', 'rewriter.shop', 'rewriter.learn'))]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_loads_neither_torch_nor_numba():
    code = ("import sys, contextlib, io\nfrom rewriter.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(['--help'])\n"
            "    main(['solve', '--help'])\n"
            "print([m for m in sys.modules if m.split('.')[0] in ('torch', 'numba', 'ortools')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_spec_constants_match_the_modules_that_define_them():
    from rewriter.jssp import dispatching, schedule, solve, spec
    from rewriter.mrt import dispatching as heuristics
    from rewriter.mrt import spec as mrt_spec

    assert spec.RULES == dispatching.RULES and spec.MODES == dispatching.MODES
    assert spec.MOVE_KINDS == schedule.MOVE_KINDS and spec.POLICIES == solve.POLICIES
    from rewriter.learn import register as learned, solve as learned_solve

    assert learned.EXPLORE_AFTER == learned_solve.EXPLORE_AFTER
    from rewriter.jssp import rewrite

    assert spec.EXPERTS == rewrite.EXPERTS
    from rewriter.learn.control import register as control
    from rewriter.learn.control.controllers import CONTROLLERS

    assert control.CONTROLLERS == CONTROLLERS
    assert set(mrt_spec.INIT_RULES) == set(heuristics.HEURISTICS)
    from rewriter.mrt import bundled as mrt_bundled, solve as mrt_solve

    assert mrt_spec._NAME.pattern == mrt_bundled.DATASET_NAME.pattern
    assert mrt_spec.POLICIES == mrt_solve.POLICIES
    from rewriter.fjsp import dispatching as fd, schedule as fs, solve as fsolve, spec as fspec

    assert fspec.JOB_RULES == fd.JOB_RULES and fspec.MACHINE_RULES == fd.MACHINE_RULES
    assert fspec.RULES == fd.RULES and fspec.OBJECTIVES == fs.OBJECTIVES
    assert fspec.POLICIES == fsolve.POLICIES


def test_inferring_the_problem_reads_the_instance_once(monkeypatch, tmp_path):
    from rewriter import load_instance
    from rewriter.jssp import bundled

    reads = []
    real = bundled.load_instance
    monkeypatch.setattr(bundled, "load_instance", lambda text: reads.append(text) or real(text))
    assert load_instance("ft06").name == "ft06" and reads == ["ft06"]
    path = tmp_path / "two.txt"
    path.write_text("2 2\n0 1 1 2\n1 3 0 4\n")
    assert registry.infer(str(path)).name == "jssp" and len(reads) == 2
    path.write_text("2 2\n0 1 1 2\n1 3 0 40\n")  # changed since: read anew
    assert registry.get("jssp").load_instance(str(path)).op_duration.max() == 40
    assert len(reads) == 3
