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
