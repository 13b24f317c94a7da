"""What a hostile or careless user can hand the package, and what must happen then.

Every command and file format gets its bad-input cases here: a malicious file must not run code,
a bad file or option gets one clear line and exit code 2, never a traceback. New features extend
this file.
"""

from __future__ import annotations

import json

import pytest
import torch

from rewriter.cli import main
from rewriter.errors import InputError

from .processes import alive as _alive
from .processes import code_env as _env
from .processes import descendants as _descendants


class _Payload:
    """Pickles as "call marker.touch()": run on load, it leaves the marker file behind."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        from pathlib import Path

        return (Path.touch, (Path(self.marker),))


def _tiny_run(run_dir):
    from rewriter.learn.config import TrainConfig
    from rewriter.learn.train import train
    from rewriter.jssp.rewrite import JobShopProblem

    cfg = TrainConfig(episodes=2, episode_steps=3, iterations=1, minibatch=8, ppo_epochs=1,
                      sizes=["5x4"], validation_sizes=["5x4"], validation_per_size=1,
                      validation_steps=3, hidden=8, mlp_hidden=16, seed=1)
    train(cfg, JobShopProblem(), run_dir, progress=False)
    return cfg


def test_resume_never_runs_code_planted_in_a_checkpoint(tmp_path, capsys):
    run_dir = tmp_path / "run"
    _tiny_run(run_dir)
    marker = tmp_path / "payload-ran"
    blob = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=True)
    blob["rng"] = _Payload(marker)
    torch.save(blob, run_dir / "checkpoint.pt")
    # the payload really is live: an unsafe load would run it
    torch.load(run_dir / "checkpoint.pt", weights_only=False)
    assert marker.exists()
    marker.unlink()
    code = main(["train", "--run-dir", str(run_dir), "--resume", "--iterations", "2", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and not marker.exists()
    assert "checkpoint.pt" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_model_file_never_runs_planted_code(tmp_path, capsys):
    from rewriter.learn.checkpoint import load_model

    marker = tmp_path / "payload-ran"
    path = tmp_path / "model.pt"
    torch.save({"format": "rewriter-policy-1", "state_dict": _Payload(marker)}, path)
    with pytest.raises(InputError, match="model.pt"):
        load_model(path)
    assert not marker.exists()
    code = main(["solve", "ft06", "--model", str(path), "--steps", "2", "--quiet"])
    assert code == 2 and not marker.exists()
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"", b"not a torch file", b"PK\x03\x04broken zip"])
def test_a_corrupt_checkpoint_on_resume_is_one_clear_line(tmp_path, capsys, content):
    run_dir = tmp_path / "run"
    _tiny_run(run_dir)
    (run_dir / "checkpoint.pt").write_bytes(content)
    code = main(["train", "--run-dir", str(run_dir), "--resume", "--iterations", "2", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "checkpoint.pt" in err and "Traceback" not in err


def test_a_checkpoint_of_another_shape_is_refused_by_name(tmp_path, capsys):
    run_dir = tmp_path / "run"
    _tiny_run(run_dir)
    torch.save({"model": {"w": torch.zeros(2)}, "optimizer": {}, "rng": json.dumps({})},
               run_dir / "checkpoint.pt")
    code = main(["train", "--run-dir", str(run_dir), "--resume", "--iterations", "2", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "not a checkpoint of this run" in err


# ---- tabu memory: O(tenure), not n_ops x n_ops --------------------------------------------------
_BIG_TABU = """
import resource, sys
limit = 6 * 2**30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from rewriter.jssp.generate import random_instance
from rewriter.jssp.solve import solve
inst = random_instance(2000, 50, seed=0)
r = solve(inst, policy="tabu", moves="n5", steps=20, seed=0)
print(inst.n_operations, r.steps, r.init_makespan, r.makespan)
"""


def _run_python(code, args=(), timeout=300):
    """``python -c code`` (or ``python args`` when code is None) on the package under test."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import rewriter

    root = str(Path(rewriter.__file__).resolve().parent.parent)  # the code under test
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    argv = list(args) if code is None else ["-c", code, *args]
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_tabu_search_on_100k_operations_runs_within_6_gib():
    # 2000 x 50: an n_ops x n_ops tabu matrix alone would be 74.5 GiB
    done = _run_python(_BIG_TABU)
    assert done.returncode == 0, done.stderr[-2000:]
    n_ops, steps, start, best = map(int, done.stdout.split())
    assert n_ops == 100_000 and 0 < steps <= 20 and best <= start


def test_tabu_memory_answers_exactly_like_a_full_matrix():
    """Random stores and lookups against a dict standing in for the n x n matrix; the table
    starts tiny so rebuilds and growth happen, and stays small for a bounded tenure."""
    import numpy as np

    from rewriter.jssp import search_kernels as LS

    rng = np.random.default_rng(0)
    table = LS._empty_table(64)
    matrix = {}
    pool = rng.integers(0, 10**10, size=3000)
    clock = 1
    for phase, tenure in enumerate((5, 400, 5, 60)):
        for _ in range(3000):
            for _ in range(int(rng.integers(1, 3))):  # N7 stores two entries a step
                key = int(pool[rng.integers(0, pool.size)])
                until = clock + int(rng.integers(1, tenure + 1))
                table = LS.tabu_store(table, key, until, clock)
                matrix[key] = until
            for key in pool[rng.integers(0, pool.size, size=4)].tolist() + [
                    int(rng.integers(0, 10**10))]:
                expected = matrix.get(key, 0)
                got = LS.tabu_lookup(table, key)
                assert (got > clock) == (expected > clock)
                if expected > clock:
                    assert got == expected
            clock += 1
            if rng.random() < 0.002:
                clock += tenure + 1  # a restart: everything expires
        live = sum(1 for v in matrix.values() if v > clock)
        assert live <= 2 * tenure
        assert table.shape[0] - 1 <= max(64, 16 * 2 * 400)  # O(tenure), whatever the key range
        assert 2 * table[0, 0] <= table.shape[0] - 1  # at most half full: probes always end


@pytest.mark.parametrize("name, moves, tie_break, steps, makespan, restarts", [
    ("ta61", "n5", "random", 200, 3264, 0),
    ("ta61", "n5", "random", 2000, 3045, 0),
    ("ta41", "n5", "pressure", 200, 2458, 0),
    ("ta41", "n5", "pressure", 2000, 2313, 0),
    ("ta41", "n1", "random", 2000, 2609, 0),
    ("ta41", "n7", "pressure", 300, 2398, 0),
    ("ft10", "n5", "random", 30000, 942, 2),
])
def test_tabu_search_trajectory_is_unchanged_by_the_hash_table(name, moves, tie_break, steps,
                                                                makespan, restarts):
    # makespans of the n_ops x n_ops matrix version, seed 0
    from rewriter import load_instance
    from rewriter.jssp.solve import TabuSettings, solve

    r = solve(load_instance(name), policy="tabu", moves=moves, steps=steps, seed=0,
              tabu=TabuSettings(tie_break=tie_break))
    assert (r.makespan, r.restarts) == (makespan, restarts)


# ---- instance files: integers are plain ASCII decimal digits ------------------------------------
_LAX_TOKENS = ["1_0", "+4", "\uff17", "\u0663"]  # int() reads 10, 4, 7 (full-width), 3 (Arabic-Indic)
_TEXT_FORMATS = {
    "standard": "2 2\n0 3 1 2\n1 4 0 1\n",
    "taillard": "2 2 840612802 398197754 7 7\n3 2\n4 1\n1 2\n2 1\n",
    "taillard-own": ("Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound\n"
                     "2 2 840612802 398197754 7 7\nTimes\n3 2\n4 1\nMachines\n1 2\n2 1\n"),
}
# (format, line, token index): durations, machine indices, the size line and its bounds
_INT_PLACES = [("standard", 2, 1), ("standard", 3, 0), ("standard", 1, 1),
               ("taillard", 2, 0), ("taillard", 5, 1), ("taillard", 1, 4),
               ("taillard-own", 4, 1), ("taillard-own", 7, 0), ("taillard-own", 2, 5)]


def _with_token(text, line, index, token):
    lines = text.splitlines()
    tokens = lines[line - 1].split()
    tokens[index] = token
    lines[line - 1] = " ".join(tokens)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("fmt, line, index", _INT_PLACES)
@pytest.mark.parametrize("token", _LAX_TOKENS)
def test_instance_text_integers_are_plain_ascii_digits(tmp_path, fmt, line, index, token):
    from rewriter.jssp.io import read_instance

    good = tmp_path / "good.txt"
    good.write_text(_TEXT_FORMATS[fmt], encoding="utf-8")
    read_instance(good)  # the file is fine before the token goes in
    path = tmp_path / "bad.txt"
    path.write_text(_with_token(_TEXT_FORMATS[fmt], line, index, token), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_instance(path)
    message = str(info.value)
    assert message.startswith(f"{path}, line {line}: expected an integer ")
    assert message.endswith(f", found {token!r}") and "\n" not in message


@pytest.mark.parametrize("token", _LAX_TOKENS)
def test_a_lax_integer_in_an_instance_file_is_one_line_and_exit_2(tmp_path, capsys, token):
    path = tmp_path / "bad.txt"
    path.write_text(_with_token(_TEXT_FORMATS["standard"], 2, 1, token), encoding="utf-8")
    code = main(["solve", str(path), "--policy", "none", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"{path}, line 2: expected an integer duration, found {token!r}" in err


def test_negative_values_in_instance_text_are_reported_as_before(tmp_path):
    from rewriter.jssp.io import read_instance

    path = tmp_path / "neg.txt"
    path.write_text(_with_token(_TEXT_FORMATS["standard"], 2, 1, "-3"), encoding="utf-8")
    with pytest.raises(InputError, match="line 2: expected a non-negative duration, found -3"):
        read_instance(path)


@pytest.mark.parametrize("token", ["1_0", "+4", "\uff17", "\u0663", "0x4", "4.0", "1e1", "true"])
def test_json_instance_integers_are_plain(tmp_path, token):
    import re

    from rewriter.jssp.io import read_instance as read_jssp
    from rewriter.mrt.io import read_instance as read_mrt

    jssp = tmp_path / "j.json"
    jssp.write_text('{"duration_matrix": [[3, %s]],\n "machines_matrix": [[0, 1]]}' % token,
                    encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(str(jssp))):
        read_jssp(jssp)
    mrt = tmp_path / "m.json"
    mrt.write_text('{"resources": 1,\n "jobs": [{"arrival": 0, "length": %s, "demand": [1]}]}' % token,
                   encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(str(mrt))):
        read_mrt(mrt)


def test_a_huge_mrt_integer_is_refused_not_wrapped(tmp_path):
    from rewriter.mrt.io import read_instance

    path = tmp_path / "m.json"
    path.write_text('{"resources": 1, "jobs": [{"arrival": 0, "length": 10000000000000000000, '
                    '"demand": [1]}]}', encoding="utf-8")
    with pytest.raises(InputError, match=r"jobs\[0\]\.length: expected an integer below"):
        read_instance(path)


# ---- compare: a results file torn by a crash mid-line --------------------------------------------
def test_a_torn_results_line_is_set_aside_and_the_next_record_starts_a_fresh_line(tmp_path, capsys):
    from rewriter.compare.grid import read_results

    results = tmp_path / "r.jsonl"
    base = ["compare", "--instances", "ft06", "--results", str(results), "--no-progress"]
    assert main(base + ["--methods", "fifo,mwkr"]) == 0
    torn = '{"instance": "ft06", "method": "spt", "par'  # the run was killed mid-write
    with open(results, "a", encoding="utf-8") as fh:
        fh.write(torn)
    # the command itself, so that the warning is seen as a user sees it, on stderr
    done = _run_python(None, ["-m", "rewriter"] + base + ["--methods", "fifo,mwkr,spt,lpt"])
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == (
        f"rewriter: warning: {results}: the last line was torn (a run killed while writing it?): "
        f"set aside {len(torn)} bytes in {results}.torn; the records before it are kept")
    assert (tmp_path / "r.jsonl.torn").read_text(encoding="utf-8") == torn + "\n"
    records = read_results(results)
    assert sorted(r["method"] for r in records) == ["fifo", "lpt", "mwkr", "spt"]
    assert all(json.loads(line) for line in results.read_text(encoding="utf-8").splitlines())
    # the run after that reads the file as it is and computes nothing again
    assert main(base + ["--methods", "fifo,mwkr,spt,lpt"]) == 0
    assert len(read_results(results)) == 4 and "torn" not in capsys.readouterr().err


@pytest.mark.parametrize("tail", ['{"instance": "ft06"', "garbage\n", '{"instance": 1}\n', "[1, 2]"])
def test_run_cells_sets_aside_an_unterminated_or_unparsable_last_line(tmp_path, tail):
    from rewriter.compare.grid import plan_cells, read_results, run_cells

    results = tmp_path / "r.jsonl"
    run_cells(plan_cells("ft06", "fifo,mwkr"), results, progress=False)
    with open(results, "a", encoding="utf-8") as fh:
        fh.write(tail)
    with pytest.warns(UserWarning, match=f"set aside {len(tail.encode())} bytes"):
        run_cells(plan_cells("ft06", "fifo,mwkr,spt"), results, progress=False)
    assert [r["method"] for r in read_results(results)] == ["fifo", "mwkr", "spt"]
    assert (tmp_path / "r.jsonl.torn").read_text(encoding="utf-8") == tail.rstrip("\n") + "\n"


def test_append_result_never_glues_a_record_onto_a_partial_line(tmp_path):
    from rewriter import __version__
    from rewriter.compare.grid import append_result, read_results

    path = tmp_path / "r.jsonl"
    good = {"instance": "ft06", "method": "mwkr", "seed": 0, "version": __version__}
    append_result(path, good)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"instance": "ft06", "meth')
    with pytest.warns(UserWarning, match="set aside 26 bytes"):
        append_result(path, {**good, "method": "fifo"})
    assert [r["method"] for r in read_results(path)] == ["mwkr", "fifo"]


# ---- seeds: 0 <= seed < 2**63, no wrap-around modulo 2**32 ---------------------------------------
def _trace(policy, seed, init="mwkr"):
    from rewriter import load_instance
    from rewriter.jssp.solve import solve

    r = solve(load_instance("ta41"), init=init, policy=policy, steps=300, seed=seed)
    return r.makespan, [(step, best) for step, _, best in r.trace]


@pytest.mark.parametrize("policy, init", [("tabu", "mwkr"), ("random", "mwkr"), ("random", "random")])
def test_seed_2_to_the_32_is_not_seed_0(policy, init):
    assert _trace(policy, 2**32, init) != _trace(policy, 0, init)
    assert _trace(policy, 2**32 + 1, init) != _trace(policy, 1, init)
    assert _trace(policy, 2**63 - 1, init) == _trace(policy, 2**63 - 1, init)  # still reproducible


@pytest.mark.parametrize("policy, init, seed, makespan", [
    ("tabu", "mwkr", 0, 2391), ("tabu", "mwkr", 12345, 2399), ("tabu", "mwkr", 2**32 - 1, 2405),
    ("random", "random", 0, 2847), ("random", "random", 2**31, 2788),
    ("random", "random", 2**32 - 1, 2736)])
def test_seeds_below_2_to_the_32_give_the_same_results_as_before(policy, init, seed, makespan):
    assert _trace(policy, seed, init)[0] == makespan


@pytest.mark.parametrize("seed", [-1, 2**63, 2**64, 1.5, "3", True])
def test_a_seed_out_of_range_is_an_input_error(seed):
    from rewriter.jssp.dispatching import dispatch
    from rewriter import load_instance
    from rewriter import registry
    from rewriter.compare.grid import plan_cells

    inst = load_instance("ft06")
    spec = registry.get("jssp")  # the problem's own policies and the learned one it serves
    for policy in ("tabu", "random", "greedy", "learned"):
        with pytest.raises(InputError, match=r"seed must be an integer in 0\.\.2\*\*63-1"):
            spec.run(inst, init="mwkr", policy=policy, steps=5, seed=seed)
    with pytest.raises(InputError, match="seed must be"):
        dispatch(inst, "random", seed=seed)
    with pytest.raises(InputError, match="seed must be"):
        plan_cells("ft06", "fifo", seeds=[0, seed])


@pytest.mark.parametrize("seed", ["-1", str(2**64), str(2**63), "x"])
def test_a_bad_seed_on_the_command_line_is_one_line_and_exit_2(tmp_path, capsys, seed):
    code = main(["solve", "ft06", "--policy", "tabu", "--steps", "5", "--quiet", f"--seed={seed}"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"rewriter solve: error: argument --seed: expected a seed, an integer in 0..2**63-1, "
        f"got {seed!r}")
    if seed != "x":
        code = main(["compare", "--instances", "ft06", "--methods", "fifo", f"--seeds=0,{seed}",
                     "--results", str(tmp_path / "r.jsonl"), "--no-progress"])
        err = capsys.readouterr().err
        assert code == 2 and err.strip() == (
            f"rewriter: error: seed must be an integer in 0..2**63-1 (0..{2**63 - 1}), got {seed}")
        assert not (tmp_path / "r.jsonl").exists()


def test_the_largest_seed_runs():
    from rewriter import load_instance, registry

    for policy in ("tabu", "random", "learned"):
        r = registry.get("jssp").run(load_instance("ft06"), init="random", policy=policy, steps=20,
                                     seed=2**63 - 1)
        assert r.seed == 2**63 - 1 and r.makespan >= 55


# ---- compare --workers N: SIGINT to the parent alone -------------------------------------------
@pytest.mark.parametrize("delay", [0.5, 2.0, 3.5])
def test_sigint_to_the_compare_parent_alone_ends_the_run_promptly(tmp_path, delay):
    import os
    import signal
    import subprocess
    import sys
    import time

    from rewriter.compare.grid import read_results

    results = tmp_path / "r.jsonl"
    argv = [sys.executable, "-m", "rewriter", "compare", "--instances",
            "ta01-08", "--methods", "tabu:3", "--workers", "2",
            "--results", str(results), "--no-progress"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(), start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(_descendants(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # wait for the workers
        time.sleep(delay)
        workers = _descendants(proc.pid)
        assert len(workers) >= 2 and proc.poll() is None
        os.kill(proc.pid, signal.SIGINT)  # the parent only, not its process group
        t0 = time.monotonic()
        out, err = proc.communicate(timeout=15)
        elapsed = time.monotonic() - t0  # the cells left would take 12 s minus the time run
        assert elapsed < 10, f"{elapsed:.1f} s from SIGINT to the end of the run"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    time.sleep(0.2)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rewriter: interrupted"), err
    assert not [p for p in workers if _alive(p)], "worker processes outlived the run"
    if results.exists():
        text = results.read_text(encoding="utf-8")
        assert text == "" or text.endswith("\n")
        records = read_results(results)
        assert len(records) == len(text.splitlines()) < 8
        assert all(r["status"] != "interrupted" and r["method"] == "tabu:3" for r in records)


# ---- compare: the results file is checked, and locked, before any cell runs ---------------------
def _count_cells(monkeypatch):
    import rewriter.compare.grid as compare

    calls = []
    real = compare.run_cell
    monkeypatch.setattr(compare, "run_cell", lambda cell: calls.append(cell) or real(cell))
    return calls


def test_an_unwritable_results_path_is_refused_before_any_cell_runs(tmp_path, capsys, monkeypatch):
    import os

    calls = _count_cells(monkeypatch)
    base = ["compare", "--instances", "ft06", "--methods", "fifo,mwkr", "--no-progress"]
    missing = tmp_path / "no-such-dir" / "r.jsonl"
    assert main(base + ["--results", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err == (f"rewriter: error: {missing}: cannot write the results: directory "
                   f"'{missing.parent}' does not exist\n")
    assert main(base + ["--results", str(tmp_path)]) == 2
    assert "is a directory; expected a JSON-lines results file" in capsys.readouterr().err
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    assert main(base + ["--results", str(fifo)]) == 2
    assert "not a regular file" in capsys.readouterr().err
    locked = tmp_path / "ro.jsonl"
    locked.write_text("")
    locked.chmod(0o444)
    assert main(base + ["--results", str(locked)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{locked}: the results file is read-only" in err
    assert locked.read_text() == "" and calls == []
    # a directory that cannot be written (as root every directory can: simulated)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if str(p) == str(tmp_path)
                        else real_access(p, mode, **kw))
    assert main(base + ["--results", str(tmp_path / "r.jsonl")]) == 2
    assert f"directory '{tmp_path}' is not writable" in capsys.readouterr().err
    assert calls == [] and not (tmp_path / "r.jsonl").exists()


def test_a_finished_read_only_results_file_still_gives_its_tables(tmp_path, capsys):
    results = tmp_path / "r.jsonl"
    base = ["compare", "--instances", "ft06", "--methods", "fifo,mwkr", "--no-progress",
            "--results", str(results)]
    assert main(base) == 0
    results.chmod(0o444)
    capsys.readouterr()
    assert main(base) == 0  # nothing to run: nothing to write
    assert "| ft06" in capsys.readouterr().out


def test_a_binary_results_file_is_one_clear_line(tmp_path, capsys):
    results = tmp_path / "r.jsonl"
    results.write_bytes(bytes(range(256)) * 4)
    for extra in ([], ["--instances", "ft06", "--methods", "fifo"]):
        assert main(["compare", "--results", str(results), "--no-progress", *extra]) == 2
        err = capsys.readouterr().err
        assert err == (f"rewriter: error: {results}: not a UTF-8 text file; expected a results "
                       "file of JSON records, one per line, as `rewriter compare` writes it\n")


def test_a_second_compare_on_the_same_results_file_fails_at_once(tmp_path, capsys):
    import os
    import signal
    import subprocess
    import sys
    import time

    from rewriter.compare.grid import read_results
    from rewriter.jssp.bundled import load_instance
    from rewriter.jssp.solve import solve

    # compile (and cache) every kernel the child's compare uses first (rules, tabu, validator,
    # tables): a Ctrl-C that lands while LLVM compiles one in the child waits for the
    # compilation, which on a fresh clone can outlast the wait
    solve(load_instance("ft06"), policy="tabu", steps=10)
    assert main(["compare", "--instances", "ft06", "--methods", "tabu:0.2", "--results",
                 str(tmp_path / "warm.jsonl"), "--no-progress"]) == 0
    capsys.readouterr()
    results = tmp_path / "r.jsonl"
    # cells long enough that the first run still holds the lock on a loaded machine
    argv = [sys.executable, "-m", "rewriter", "compare", "--instances", "ta01,ta02", "--methods",
            "tabu:30", "--results", str(results), "--no-progress"]
    first = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             env=_env(), start_new_session=True)
    try:
        lock = tmp_path / "r.jsonl.lock"
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        t0 = time.monotonic()
        second = subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=60)
        # "at once": the second run does no cell, it fails as soon as it has started up
        assert time.monotonic() - t0 < 25 and first.poll() is None
        assert second.returncode == 2
        assert second.stderr == (
            f"rewriter: error: {results}: another `rewriter compare` (process {first.pid}) is "
            f"running on this results file and holds {lock}; wait for it to finish or give "
            "another --results\n")
        first.send_signal(signal.SIGINT)
        try:
            code = first.wait(timeout=60)
        except subprocess.TimeoutExpired:
            code = "still running 60 s after SIGINT"
        if code != 130:  # show what the interrupted run said, to see where the signal landed
            try:
                os.killpg(first.pid, signal.SIGKILL)
            except ProcessLookupError:  # it has ended, its group with it
                pass
            pytest.fail(f"the interrupted compare ended with {code}; its stderr: "
                        f"{first.communicate()[1][-2000:]!r}")
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    # the lock went with its holder: the next run takes it and finishes the cells
    before = len(read_results(results))
    assert main(argv[3:] + ["--instances", "ft06", "--methods", "fifo"]) == 0
    assert len(read_results(results)) == before + 1


# ---- solve: --steps 0 with --time-limit means no step limit (mrt too) ---------------------------
@pytest.mark.parametrize("policy", ["random", "learned"])
def test_mrt_steps_0_with_a_time_limit_searches_until_the_limit(tmp_path, capsys, policy):
    out = tmp_path / "s.json"
    # compile (or load) the kernels first: on a cold numba cache that alone can take 2 s
    assert main(["solve", "mrt_d20_test_00000", "--steps", "2", "--policy", policy,
                 "--quiet"]) == 0
    assert main(["solve", "mrt_d20_test_00000", "--steps", "0", "--time-limit", "2", "--policy",
                 policy, "--out", str(out), "--quiet"]) == 0
    data = json.loads(out.read_text())
    assert data["status"] == "time_limit" and data["steps"] > 20
    assert 1.9 <= data["runtime_s"] < 4
    assert main(["validate", "mrt_d20_test_00000", str(out)]) == 0


# ---- validate: the verdict is the exit code, even when stdout is closed early --------------------
@pytest.mark.parametrize("broken", [False, True])
def test_validate_exit_code_survives_a_closed_stdout(tmp_path, broken):
    import os
    import subprocess
    import sys

    path = tmp_path / "s.json"
    assert main(["solve", "ft06", "--policy", "none", "--out", str(path), "--quiet"]) == 0
    if broken:
        data = json.loads(path.read_text())
        data["operations"][0]["start"] += 1
        path.write_text(json.dumps(data))
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is printed (`| true`)
    try:
        done = subprocess.run([sys.executable, "-m", "rewriter", "validate", "ft06", str(path)],
                              stdout=write, stderr=subprocess.PIPE, text=True, env=_env(),
                              timeout=120)
    finally:
        os.close(write)
    assert done.returncode == (1 if broken else 0), done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


# ---- model files: anything but a model is one clear line ----------------------------------------
def _shipped_model_blob():
    from importlib import resources

    path = resources.files("rewriter.models").joinpath("jssp.pt")
    return torch.load(str(path), map_location="cpu", weights_only=True)


def _bad_models(tmp_path):
    blob = _shipped_model_blob()
    cases = {
        "dict.pt": {"weights": torch.zeros(3)},                      # no model format at all
        "linear.pt": torch.nn.Linear(2, 2).state_dict(),              # a bare state_dict
        "other-weights.pt": {**blob, "state_dict": torch.nn.Linear(2, 2).state_dict()},
        "other-shape.pt": {**blob, "model_config": {**blob["model_config"], "hidden": 7}},
        "no-config.pt": {k: v for k, v in blob.items() if k != "model_config"},
        "odd-config.pt": {**blob, "model_config": {**blob["model_config"], "depth": 3}},
        "text-config.pt": {**blob, "model_config": "arc"},
        "bad-config.pt": {**blob, "model_config": {**blob["model_config"], "hidden": -1}},
    }
    for name, obj in cases.items():
        torch.save(obj, tmp_path / name)
    (tmp_path / "text.pt").write_text("hello, not a model\n")
    (tmp_path / "empty.pt").write_bytes(b"")
    return [tmp_path / name for name in [*cases, "text.pt", "empty.pt"]]


def test_a_torch_file_that_is_no_model_is_one_clear_line(tmp_path, capsys):
    for path in _bad_models(tmp_path):
        code = main(["solve", "ft06", "--model", str(path), "--steps", "2", "--quiet"])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1, (path.name, err)
        assert err.startswith(f"rewriter: error: {path}: not a ") and "model file" in err, err


def test_a_torch_file_that_is_no_model_is_refused_as_init_model(tmp_path, capsys):
    bad = _bad_models(tmp_path)
    run = ["train", "--run-dir", str(tmp_path / "run"), "--iterations", "1", "--episodes", "1",
           "--episode-steps", "2", "--validation-per-size", "1", "--validation-steps", "2",
           "--quiet"]
    for path in bad[:4]:
        assert main(run + ["--init-model", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{path}: not a " in err, err


def test_a_corrupt_model_card_is_a_warning_and_the_model_loads(tmp_path, capsys):
    import shutil
    import subprocess
    import sys
    from importlib import resources

    shipped = str(resources.files("rewriter.models").joinpath("jssp.pt"))
    out = tmp_path / "s.json"
    for k, card in enumerate((b"{not json", b"\xff\xfe\x00", b"[1, 2]")):
        model = tmp_path / f"model{k}.pt"  # loaded models are cached by path
        shutil.copyfile(shipped, model)
        model.with_suffix(".json").write_bytes(card)
        with pytest.warns(UserWarning, match="the model card cannot be read") as caught:
            code = main(["solve", "ft06", "--model", str(model), "--steps", "5", "--out",
                         str(out), "--quiet"])
        assert code == 0 and json.loads(out.read_text())["makespan"] >= 55
        assert len(caught) == 1
    # as a user sees it: one warning line on stderr, then the run goes on
    done = subprocess.run([sys.executable, "-m", "rewriter", "solve", "ft06", "--model",
                           str(tmp_path / "model0.pt"), "--steps", "5", "--quiet"],
                          capture_output=True, text=True, env=_env(), timeout=120)
    assert done.returncode == 0 and done.stderr == (
        f"rewriter: warning: {tmp_path / 'model0.json'}: the model card cannot be read (invalid "
        "JSON at line 1); the model is loaded without it\n")


def test_model_dot_says_it_is_a_directory(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv in (["solve", "ft06", "--model", ".", "--steps", "2", "--quiet"],
                 ["train", "--run-dir", "run", "--init-model", ".", "--iterations", "1",
                  "--quiet"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is a directory; expected a rewriter model file" in err
        assert "not found" not in err


def test_init_model_of_another_problem_or_architecture_is_one_clear_line(tmp_path, capsys):
    from importlib import resources

    mrt = str(resources.files("rewriter.models").joinpath("mrt.pt"))
    jssp = str(resources.files("rewriter.models").joinpath("jssp.pt"))
    run = ["train", "--run-dir", str(tmp_path / "run"), "--iterations", "1", "--episodes", "1",
           "--episode-steps", "2", "--validation-per-size", "1", "--validation-steps", "2",
           "--quiet"]
    assert main(run + ["--init-model", mrt]) == 2
    assert capsys.readouterr().err == (
        f"rewriter: error: {mrt}: --init-model was trained for mrt, not jssp\n")
    assert main(run + ["--init-model", jssp, "--hidden", "16"]) == 2
    assert capsys.readouterr().err == (
        f"rewriter: error: {jssp}: --init-model's architecture differs from this run's: "
        "hidden 32 (this run: 16)\n")
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


# ---- train: options of the wrong type or out of range -------------------------------------------
_TRAIN = ["--iterations", "1", "--episodes", "1", "--episode-steps", "2",
          "--validation-per-size", "1", "--validation-steps", "2", "--quiet"]


@pytest.mark.parametrize("option, message", [
    ("--lr -1", "lr (--lr): expected a number > 0, got -1.0"),
    ("--lr nan", "lr (--lr): expected a number > 0, got nan"),
    ("--sizes 0x0", "--sizes: a size needs at least one job and one machine, found '0x0'"),
    ("--sizes abc", "--sizes: expected a size JOBSxMACHINES (e.g. 10x10), found 'abc'"),
    ("--validation-sizes 5x", "--validation-sizes: expected a size JOBSxMACHINES (e.g. 10x10), "
                              "found '5x'"),
    ("--hidden 0", "hidden (--hidden): expected an integer >= 1, got 0"),
    ("--mlp-hidden -3", "mlp_hidden (--mlp-hidden): expected an integer >= 1, got -3"),
    ("--time-limit-minutes 0", "time_limit_minutes (--time-limit-minutes): expected a positive "
                               "number of minutes (or no limit), got 0.0"),
    ("--time-limit-minutes -1", "expected a positive number of minutes (or no limit), got -1.0"),
    ("--time-limit-minutes nan", "expected a positive number of minutes (or no limit), got nan"),
    ("--gamma 2", "gamma (--gamma): expected a number in (0, 1], got 2.0"),
    ("--gamma 0", "gamma (--gamma): expected a number in (0, 1], got 0.0"),
    ("--gae-lambda 1.5", "gae_lambda (--gae-lambda): expected a number in [0, 1], got 1.5"),
    ("--clip 0", "clip (--clip): expected a number > 0, got 0.0"),
    ("--entropy-coef -0.1", "entropy_coef (--entropy-coef): expected a number >= 0, got -0.1"),
    ("--value-coef inf", "value_coef (--value-coef): expected a number >= 0, got inf"),
    ("--max-grad-norm 0", "max_grad_norm (--max-grad-norm): expected a number > 0, got 0.0"),
    ("--threads 0", "threads (--threads): expected an integer >= 1, got 0"),
    ("--hgat-machines -1", "hgat_machines (--hgat-machines): expected an integer >= 0 (0: all "
                           "eligible machines), got -1"),
    ("--seed -1", "seed must be an integer in 0..2**63-1 (0..9223372036854775807), got -1"),
    ("--problem mrt --resources 0", "--resources: expected an integer from 1 to 20"),
    ("--problem mrt --resources 21", "--resources: expected an integer from 1 to 20"),
    ("--problem mrt --sizes abc", "--sizes: MRT size must be a number of arrival steps, got 'abc'"),
])
def test_a_bad_training_option_is_one_line_before_anything_is_written(tmp_path, capsys, option,
                                                                      message):
    run = tmp_path / "run"
    code = main(["train", "--run-dir", str(run), *_TRAIN, *option.split()])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("rewriter: error: "), err
    assert message in err
    assert not (run / "config.json").exists() and not (run / "model.pt").exists()


@pytest.mark.parametrize("content, message", [
    ({"lr": "fast"}, 'lr (--lr): expected a number, got "fast"'),
    ({"sizes": 5}, "sizes (--sizes): expected a list of names"),
    ({"sizes": "10x10"}, "sizes (--sizes): expected a list of names"),
    ({"hidden": 2.5}, "hidden (--hidden): expected an integer, got 2.5"),
    ({"reverse": "yes"}, 'reverse (--reverse): expected true or false, got "yes"'),
    ({"time_limit_minutes": "1h"}, "time_limit_minutes (--time-limit-minutes): expected a number "
                                   "of minutes (or null for no limit)"),
    ({"problem": "mrt", "problem_options": {"resources": "x"}},
     '--resources: expected an integer from 1 to 20'),
])
def test_a_wrongly_typed_config_file_is_one_line_naming_it(tmp_path, capsys, content, message):
    config = tmp_path / "c.json"
    config.write_text(json.dumps(content))
    code = main(["train", "--run-dir", str(tmp_path / "run"), "--config", str(config), *_TRAIN])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err, err
    if "problem_options" not in content:
        assert err.startswith(f"rewriter: error: {config}: ")


def test_the_training_ranges_accept_their_edges():
    from rewriter.learn.config import TrainConfig

    cfg = TrainConfig(sizes=["5x4"], init_rules=["mwkr"], validation_sizes=["5x4"],
                      validation_init="mwkr", gamma=1, gae_lambda=0, entropy_coef=0, lr=1,
                      time_limit_minutes=1, value_coef=0, imitation_coef=0).check()
    assert cfg.gamma == 1.0 and isinstance(cfg.gamma, float) and cfg.time_limit_minutes == 1.0


# ---- a read-only install with no writable home: numba's cache goes to a private temp dir ---------
def test_the_numba_cache_chooser(tmp_path, monkeypatch):
    import os

    from rewriter import numba_cache

    package = tmp_path / "pkg"
    for name in ("", "core", "jssp"):
        (package / name).mkdir(parents=True, exist_ok=True)
    home = tmp_path / "home"
    env = {"HOME": str(home)}
    assert numba_cache.choose_cache_dir(package, env) is None  # numba writes beside the source
    assert numba_cache.choose_cache_dir(package, {"NUMBA_CACHE_DIR": "/x"}) is None
    real = os.access
    # as root every directory is writable: a read-only package and home are simulated
    readonly = {str(package), str(package / "jssp"), str(home / ".cache" / "numba")}
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if str(p) in readonly
                        else real(p, mode, **kw))
    monkeypatch.setenv("HOME", str(home))
    assert numba_cache.choose_cache_dir(package, {"XDG_CACHE_HOME": str(tmp_path / "xdg")}) is None
    temp = tmp_path / "tmp"
    temp.mkdir()
    chosen = numba_cache.choose_cache_dir(package, {}, temp_root=str(temp))
    assert chosen == str(temp / f"rewriter-numba-{os.getuid()}")
    assert os.stat(chosen).st_mode & 0o777 == 0o700
    os.chmod(chosen, 0o777)  # open to others: never used, a fresh private directory instead
    other = numba_cache.choose_cache_dir(package, {}, temp_root=str(temp))
    assert other != chosen and os.path.dirname(other) == str(temp)
    assert os.stat(other).st_mode & 0o777 == 0o700


_KERNEL = """
import os, numpy as np
import rewriter.mrt.kernels as k
usage = np.zeros((4, 1), np.int64)
print(k.fits(usage, np.array([1]), 2, 0, np.array([1])), os.environ.get("NUMBA_CACHE_DIR"))
import sys, rewriter; print(rewriter.__file__, file=sys.stderr)
"""


def test_kernels_run_from_a_read_only_install_without_a_writable_home(tmp_path):
    """The package copied into a read-only bind mount (root in a private mount namespace, or a
    chmod for another user); HOME is inside it, so numba's own caches are unwritable too."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import rewriter

    root = tmp_path / "install"
    shutil.copytree(Path(rewriter.__file__).resolve().parent, root / "rewriter",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pt"))
    (root / "home").mkdir()
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "PYTHONPATH")}
    env.update(PYTHONPATH=str(root), HOME=str(root / "home"), TMPDIR=str(temp))
    argv = [sys.executable, "-c", _KERNEL]
    if os.geteuid() == 0:
        if shutil.which("unshare") is None or subprocess.run(
                ["unshare", "-m", "true"], capture_output=True).returncode != 0:
            pytest.skip("running as root without mount namespaces: cannot make a read-only tree")
        script = ('mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && '
                  '! touch "$0/rewriter/probe" 2>/dev/null && exec "$@"')
        argv = ["unshare", "-m", "sh", "-c", script, str(root), *argv]
    else:
        for path in [root, *root.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120,
                          cwd=temp)  # not the source tree: python -c puts the cwd on sys.path
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.strip() == str(root / "rewriter" / "__init__.py")  # the read-only copy
    result, cache = done.stdout.split()
    assert result == "True" and cache == str(temp / f"rewriter-numba-{os.getuid()}")
    assert any(p.suffix == ".nbi" for p in Path(cache).rglob("*"))  # the kernel was cached there


# ---- messages that say what is really wrong -----------------------------------------------------
def test_a_taillard_size_line_on_a_standard_file_states_the_real_expectation(tmp_path):
    from rewriter.jssp.io import read_instance

    path = tmp_path / "h.txt"
    path.write_text("3 3 7\n" + "0 1 1 2 2 3\n" * 3)
    with pytest.raises(InputError) as info:
        read_instance(path)
    assert str(info.value) == (
        f"{path}, line 2: expected 3 durations in job row 1, found 6 values: the header '3 3 7' "
        "has more than 'n m', which is only valid for Taillard files; a standard file with 3 "
        "'machine duration' pairs per row has the header '3 3'")
    path.write_text("3 3 7\n0 1 1 2\n")
    with pytest.raises(InputError, match="expected 3 durations in job row 1, found 4 values"):
        read_instance(path)


@pytest.mark.parametrize("value", [2**63, 2**64 + 5, 2**70, -2**63, 2**31])
def test_a_huge_mrt_value_is_shown_as_written(value):
    import numpy as np

    from rewriter.mrt.instance import MrtInstance

    bound = "below 2147483648" if value > 0 else "of absolute value below 2147483648"
    with pytest.raises(InputError) as info:
        MrtInstance("x", [10], [0, 0], [3, value], [[1], [1]])
    assert str(info.value) == f"length[1]: expected an integer {bound}, found {value}"
    if 0 < value < 2**64:
        with pytest.raises(InputError, match=f"found {value}$"):
            MrtInstance("x", [10], [0], np.array([value], dtype=np.uint64), [[1]])
    with pytest.raises(InputError, match=rf"demand\[0\]\[0\]: expected an integer .*, found {value}$"):
        MrtInstance("x", [10], [0], [1], [[value]])


def test_validate_counts_every_jssp_violation_exactly(tmp_path, capsys):
    path = tmp_path / "s.json"
    assert main(["solve", "ft06", "--policy", "none", "--out", str(path), "--quiet"]) == 0
    data = json.loads(path.read_text())
    zero = sum(1 for op in data["operations"] if op["start"] == 0)
    for op in data["operations"]:
        op["start"] = 0  # the ends and machine sequences still say where they were
    path.write_text(json.dumps(data))
    # 30 route breaches, 30 machine overlaps, the makespan, the ends that moved, and 30
    # sequence pairs the start times contradict (each machine runs 6 operations, all at 0)
    expected = 30 + 30 + 1 + (36 - zero) + 30
    capsys.readouterr()
    assert main(["validate", "ft06", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"invalid: {expected} violations (the first 50 shown)"
    assert len(out) == 51 and all(line.startswith("  - ") for line in out[1:])


def test_validate_counts_every_mrt_violation_exactly(tmp_path, capsys):
    from rewriter import load_instance
    from rewriter.mrt.validate import schedule_violations

    path = tmp_path / "m.json"
    assert main(["solve", "mrt_d20_test_00000", "--policy", "none", "--out", str(path),
                 "--quiet"]) == 0
    data = json.loads(path.read_text())
    for job in data["jobs"]:
        job["start"] = 0
        del job["end"]
    path.write_text(json.dumps(data))
    inst = load_instance("mrt_d20_test_00000")
    every = schedule_violations(inst, [0] * inst.n_jobs, None, data["average_slowdown"],
                                limit=None)
    assert len(every) > 10  # the old count stopped at 10
    capsys.readouterr()
    assert main(["validate", "mrt_d20_test_00000", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    shown = " (the first 50 shown)" if len(every) > 50 else ""
    assert out[0] == f"invalid: {len(every)} violations{shown}"


def test_a_missing_or_extra_operation_in_a_schedule_is_named(tmp_path, capsys):
    path = tmp_path / "s.json"
    assert main(["solve", "ft06", "--policy", "none", "--out", str(path), "--quiet"]) == 0
    data = json.loads(path.read_text())
    ops = data["operations"]
    cases = {
        "missing": (ops[:7] + ops[8:], "'operations' lists 35 of the 36 operations of instance "
                                       "ft06; missing: job 1 op 1"),
        "twice": (ops + [ops[3]], "operations[36]: job 0 op 3 is listed twice (an extra "
                                  "operation)"),
        "foreign": (ops + [{**ops[3], "job": 6}], "operations[36]: job 6 op 3 is not an "
                    "operation of instance ft06 (expected job 0..5 and op 0..5); an extra "
                    "operation"),
    }
    for name, (operations, message) in cases.items():
        bad = tmp_path / f"{name}.json"
        bad.write_text(json.dumps({**data, "operations": operations}))
        capsys.readouterr()
        assert main(["validate", "ft06", str(bad)]) == 2
        assert capsys.readouterr().err == f"rewriter: error: {bad}: {message}\n"
    sequences = [seq[:-1] if machine == 2 else seq
                 for machine, seq in enumerate(data["machine_sequences"])]
    last = data["machine_sequences"][2][-1]
    bad = tmp_path / "sequences.json"
    bad.write_text(json.dumps({**data, "machine_sequences": sequences}))
    assert main(["validate", "ft06", str(bad)]) == 1
    assert (f"machine_sequences: 1 operation missing: job {last[0]} op {last[1]}"
            in capsys.readouterr().out)


# ---- validate checks MRT schedules (regression) --------------------------------------------------
def test_validate_checks_an_mrt_schedule(tmp_path, capsys):
    path = tmp_path / "m.json"
    assert main(["solve", "mrt_d20_test_00000", "--steps", "20", "--out", str(path),
                 "--quiet"]) == 0
    assert main(["validate", "mrt_d20_test_00000", str(path)]) == 0
    assert capsys.readouterr().out.startswith("valid: average slowdown ")
    data = json.loads(path.read_text())
    job = next(j for j in data["jobs"] if j["start"] > 0)
    job["start"], job["end"] = job["start"] - 1, job["end"] - 1  # before its arrival or overloaded
    data["average_slowdown"] = round(data["average_slowdown"], 6)
    path.write_text(json.dumps(data))
    assert main(["validate", "mrt_d20_test_00000", str(path)]) == 1
    assert capsys.readouterr().out.startswith("invalid: ")


# ---- outputs: a read-only file is refused and left as it was (regression) ----------------------
def test_out_onto_a_read_only_file_is_refused_before_the_work(tmp_path, capsys):
    import os

    for option in ("--out", "--trace"):
        path = tmp_path / ("s.json" if option == "--out" else "t.csv")
        path.write_text("keep me")
        os.chmod(path, 0o444)
        code = main(["solve", "ft06", "--policy", "tabu", "--steps", "5", option, str(path)])
        err = capsys.readouterr().err
        assert code == 2 and path.read_text() == "keep me"
        assert err == (f"rewriter: error: {path}: the file is read-only; make it writable or "
                       "choose another name\n")
    table = tmp_path / "t.md"
    table.write_text("keep me")
    os.chmod(table, 0o444)
    results = tmp_path / "r.jsonl"
    assert main(["compare", "--instances", "ft06", "--methods", "fifo", "--results", str(results),
                 "--out", str(table), "--no-progress"]) == 2
    assert "the file is read-only" in capsys.readouterr().err
    assert table.read_text() == "keep me" and not results.exists()  # no cell ran
    from rewriter.atomic import write_atomic

    with pytest.raises(InputError, match="read-only"):
        write_atomic(table, "new")
    assert table.read_text() == "keep me"


# ---- train --resume: the documented command is accepted (regression) -----------------------------
def test_the_documented_resume_command_is_accepted_and_a_changed_option_refused(tmp_path, capsys):
    run = tmp_path / "run"
    command = ["train", "--problem", "mrt", "--resources", "5", "--run-dir", str(run),
               "--episodes", "1", "--episode-steps", "2", "--validation-per-size", "1",
               "--validation-steps", "2", "--hidden", "8", "--mlp-hidden", "8", "--sizes", "10",
               "--validation-sizes", "10", "--quiet"]
    assert main(command + ["--iterations", "1"]) == 0
    # the same command plus --resume (with a new --iterations, as the help says may change)
    assert main(command + ["--iterations", "2", "--resume"]) == 0
    assert json.loads((run / "model.json").read_text())["iterations"] == 2
    assert main(command + ["--iterations", "3", "--resume", "--time-limit-minutes", "5"]) == 0
    capsys.readouterr()
    changed = [c if c not in ("8", "5") else {"8": "16", "5": "10"}[c] for c in command]
    assert main(changed + ["--iterations", "4", "--resume"]) == 2
    assert capsys.readouterr().err == (
        "rewriter: error: --resume continues the saved config; these differ from it: --hidden, "
        "--mlp-hidden, --resources (only --iterations and --time-limit-minutes may change)\n")


# ---- the top-level help tells the truth about the defaults (regression) -------------------------
def test_the_top_level_help_tells_the_truth_about_the_default(capsys):
    import re

    from rewriter import registry

    assert registry.get("jssp").default_policy == "controlled"  # what the help says below
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert not re.search(r"default[^\n]*plain tabu|plain tabu[^\n]*default", out, re.IGNORECASE)
    example = next(line for line in out.splitlines() if line.strip().startswith("rewriter solve ft06 "))
    assert "steered by the learned" in example and "500,000 moves" in out
    assert main(["solve", "--help"]) == 0
    policies = ", ".join(registry.get("jssp").policies)  # the problem's own, then its learners'
    text = " ".join(capsys.readouterr().out.split()).replace("- ", "-")  # argparse wraps at hyphens
    assert f"jssp: {policies} (default controlled)" in text


# ---- a schedule the independent validator rejects is never returned ------------------------------
def test_a_schedule_that_fails_the_validator_is_never_returned(monkeypatch):
    from rewriter import load_instance
    from rewriter.jssp.schedule import JobShopSolution
    from rewriter.jssp.solve import solve
    from rewriter.jssp.validate import InfeasibleSchedule as JobShopInfeasible
    from rewriter.mrt.solve import make_result
    from rewriter.mrt.validate import InfeasibleSchedule as MrtInfeasible

    real = JobShopSolution.starts.fget

    def broken(self):  # a solver bug: job 0's second operation starts with its first
        starts = real(self)
        starts[1] = starts[0]
        return starts

    monkeypatch.setattr(JobShopSolution, "starts", property(broken))
    for policy in ("none", "tabu", "random"):
        with pytest.raises(JobShopInfeasible, match="job 0 op 1 starts at"):
            solve(load_instance("ft06"), policy=policy, steps=5)
    inst = load_instance("mrt_d20_test_00000")
    with pytest.raises(MrtInfeasible):
        make_result(inst, [0] * inst.n_jobs, "rewriter", "ejf", 1.0, 0, 0, 0.0, "completed", [])


# ---- Ctrl-C stops training: exit 130, a resume hint, and the same command resumes ----------------
def test_ctrl_c_stops_training_with_130_and_the_resume_command_continues(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    run = tmp_path / "run"
    command = ["train", "--run-dir", str(run), "--iterations", "100000", "--episodes", "1",
               "--episode-steps", "2", "--validation-per-size", "1", "--validation-steps", "2",
               "--hidden", "4", "--mlp-hidden", "4", "--sizes", "4x3", "--validation-sizes",
               "4x3", "--quiet"]
    # compile (and cache) every kernel the run uses, validation included: a Ctrl-C that lands
    # while LLVM compiles in the child waits for the compilation (long on a fresh clone)
    warm = [c if c != "100000" else "1" for c in command]
    assert main([*warm[:2], str(tmp_path / "warm"), *warm[3:]]) == 0
    proc = subprocess.Popen([sys.executable, "-m", "rewriter", *command], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(), start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (run / "checkpoint.pt").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert err == (f"rewriter: training interrupted; continue with the same command and --resume "
                   f"(run directory {run})\n")
    done = torch.load(run / "checkpoint.pt", weights_only=True)["iteration"]
    assert done >= 1
    resumed = [c if c != "100000" else str(done + 1) for c in command]
    assert main(resumed + ["--resume"]) == 0
    assert json.loads((run / "model.json").read_text())["iterations"] == done + 1


def test_resume_continues_the_runs_own_problem_without_naming_it(tmp_path, capsys):
    run = tmp_path / "mrt"
    tiny = ["--iterations", "1", "--episodes", "2", "--episode-steps", "3", "--validation-steps", "3",
            "--validation-per-size", "1", "--hidden", "8", "--mlp-hidden", "8", "--sizes", "8",
            "--validation-sizes", "8", "--resources", "2", "--quiet"]
    assert main(["train", "--problem", "mrt", "--run-dir", str(run), *tiny]) == 0
    assert main(["train", "--run-dir", str(run), "--resume", "--iterations", "2", "--quiet"]) == 0
    card = json.loads((run / "model.json").read_text())
    assert card["problem"] == "mrt" and card["iterations"] == 2 and card["options"] == {"resources": 2}
    assert main(["train", "--problem", "jssp", "--run-dir", str(run), "--resume", "--quiet"]) == 2
    assert "--problem" in capsys.readouterr().err
