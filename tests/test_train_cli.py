"""``rewriter train`` is the one way to train: every approach (rewriter, construct, control, dqn,
hierarchical)
through it, its options explained in the help, another approach's option refused before the run
directory is written, ``--resume`` reading the approach from the run directory."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
import torch

from rewriter.cli import build_parser, main


def _train_help() -> str:
    parser = build_parser()
    return " ".join(parser._subparsers._group_actions[0].choices["train"].format_help().split())


def test_the_help_lists_every_approach_and_explains_every_option():
    from rewriter.learn.config import HELP as TRAIN_HELP
    from rewriter.learn.construct.config import HELP as CONSTRUCT_HELP, ConstructConfig
    from rewriter.learn.construct.mrt.config import MrtConstructConfig
    from rewriter.learn.control.config import HELP as CONTROL_HELP, ControlConfig
    from rewriter.learn.dqn.config import HELP as DQN_HELP, DQNConfig
    from rewriter.learn.hierarchical.config import HELP as HIER_HELP, HierarchicalConfig

    text = _train_help()
    assert "--approach {rewriter,construct,control,dqn,hierarchical}" in text
    for approach in ("rewriter:", "construct:", "control:", "dqn:", "hierarchical:"):
        assert approach in text
    for config in (ConstructConfig, MrtConstructConfig, ControlConfig, DQNConfig,
                   HierarchicalConfig):
        for f in fields(config):
            assert "--" + f.name.replace("_", "-") in text, (config.__name__, f.name)
    assert set(DQN_HELP) == {f.name for f in fields(DQNConfig)}
    assert set(HIER_HELP) == {f.name for f in fields(HierarchicalConfig)}
    for helps, name in ((TRAIN_HELP, "formulation"), (CONSTRUCT_HELP, "network"),
                        (CONTROL_HELP, "slices"), (DQN_HELP, "buffer_size"), (HIER_HELP, "stages")):
        assert helps[name][:30] in text
    assert "--approach dqn options" in text and "--approach control options" in text


def test_no_python_m_trainer_remains():
    import importlib.util

    for module in ("rewriter.learn.control.__main__", "rewriter.learn.dqn.__main__"):
        assert importlib.util.find_spec(module) is None
    source = importlib.util.find_spec("rewriter.learn.hierarchical.train").origin
    assert "__main__" not in open(source).read()


@pytest.mark.parametrize("argv, message", [
    (["--approach", "control", "--slices", "0"], "slices"),
    (["--approach", "control", "--layers", "2"], "--layers"),
    (["--approach", "control", "--problem", "fjsp"], "jssp"),
    (["--approach", "dqn", "--batch-size", "0"], "batch_size"),
    (["--approach", "dqn", "--slices", "3"], "--slices"),
    (["--approach", "dqn", "--problem", "mrt"], "fjsp"),
    (["--approach", "construct", "--buffer-size", "3"], "--buffer-size"),
    (["--slices", "3"], "--approach control only"),
    (["--buffer-size", "3"], "--approach dqn only"),
])
def test_a_bad_option_is_one_line_before_the_run_directory(tmp_path, capsys, argv, message):
    run = tmp_path / "run"
    assert main(["train", "--run-dir", str(run), "--quiet", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not run.exists()


def test_a_hostile_dqn_config_file_is_one_error(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"lr": "fast"}))
    assert main(["train", "--approach", "dqn", "--config", str(path),
                 "--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lr" in err
    assert not (tmp_path / "run").exists()


def test_a_controller_trains_and_resumes_through_rewriter_train(tmp_path, capsys):
    from rewriter.learn.control.policy import load_control_model

    tiny = ["--sizes", "8x5", "--slices", "4", "--slice-moves", "100", "--episodes", "2",
            "--hidden", "8", "--validation-per-size", "1", "--validate-every", "2",
            "--minibatch", "4", "--quiet"]
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert main(["train", "--approach", "control", "--run-dir", str(whole), "--iterations", "3",
                 *tiny]) == 0
    assert main(["train", "--approach", "control", "--run-dir", str(parts), "--iterations", "2",
                 *tiny]) == 0
    assert json.loads((parts / "config.json").read_text())["approach"] == "control"
    # the approach comes from the run directory; another one asked for is refused
    assert main(["train", "--approach", "dqn", "--run-dir", str(parts), "--resume"]) == 2
    assert "holds a run of --approach control" in capsys.readouterr().err
    assert main(["train", "--run-dir", str(parts), "--resume", "--iterations", "3", "-q"]) == 0
    a = load_control_model(whole / "model.pt")[0].state_dict()
    b = load_control_model(parts / "model.pt")[0].state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_dqn_run_resumes_without_naming_its_approach(tmp_path):
    from rewriter.learn.dqn.model import load_dqn

    small = ["--sizes", "8x3", "--validation-sizes", "8x3", "--validation-seeds", "100",
             "--validate-every", "2", "--warmup", "20", "--batch-size", "8", "--train-every",
             "1", "--target-every", "5", "--quiet"]
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert main(["train", "--approach", "dqn", "--run-dir", str(whole), "--episodes", "4",
                 *small]) == 0
    assert main(["train", "--approach", "dqn", "--run-dir", str(cut), "--episodes", "2",
                 *small]) == 0
    config = json.loads((cut / "config.json").read_text())
    assert config["approach"] == "dqn"
    del config["approach"]  # as a run written before the approaches shared the command
    (cut / "config.json").write_text(json.dumps(config))
    assert main(["train", "--run-dir", str(cut), "--resume", "--episodes", "4", "-q"]) == 0
    a, b = load_dqn(whole / "model.pt")[0].state_dict(), load_dqn(cut / "model.pt")[0].state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
