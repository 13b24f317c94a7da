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


class _Payload:
    """Pickles as "call marker.touch()": run on load, it leaves the marker file behind."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        from pathlib import Path

        return (Path.touch, (Path(self.marker),))


def _tiny_run(run_dir):
    from rewriter.core.config import TrainConfig
    from rewriter.core.train import train
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
    from rewriter.core.checkpoint import load_model

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


def _run_python(code, timeout=300):
    import os
    import subprocess
    import sys
    from pathlib import Path

    import rewriter

    root = str(Path(rewriter.__file__).resolve().parent.parent)  # the code under test
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
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

    from rewriter.baselines import local_search as LS

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
