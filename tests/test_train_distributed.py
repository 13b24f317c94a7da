"""Data-parallel training (torch.distributed, gloo): the gradient sum, a 2-process run that is
deterministic, resumes with the same world size and refuses another, torchrun on the command
line, and a loss curve within the seed-to-seed noise of the single-process run."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from tests.test_core import JobShopProblem
from tests.test_core import _params, _tiny_config

ROOT = Path(__file__).resolve().parents[1]
EPISODES = 4  # split 2 + 2 over two processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_rank(rank: int, size: int, port: int) -> None:
    os.environ.update(WORLD_SIZE=str(size), RANK=str(rank), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))


def _gradient_sum(rank: int, port: int, out: str) -> None:
    """Each rank's gradient, weighted by its share and summed, is the gradient of the mean loss
    over both ranks' data."""
    from rewriter.learn.distributed import join_world, leave_world

    _as_rank(rank, 2, port)
    world = join_world()
    torch.manual_seed(0)
    layer = torch.nn.Linear(3, 1)
    data = torch.arange(15, dtype=torch.float32).reshape(5, 3) / 10
    mine = data[:2] if rank == 0 else data[2:]  # 2 and 3 rows
    (layer(mine).pow(2).mean() * (len(mine) / len(data))).backward()
    world.sum_gradients(layer.parameters())
    torch.save([p.grad for p in layer.parameters()], f"{out}.{rank}")
    leave_world(world)


def _check_gradient_sum(tmp_path) -> None:
    torch.manual_seed(0)
    layer = torch.nn.Linear(3, 1)
    data = torch.arange(15, dtype=torch.float32).reshape(5, 3) / 10
    layer(data).pow(2).mean().backward()
    for rank in (0, 1):
        got = torch.load(tmp_path / f"g.{rank}")
        assert all(torch.allclose(g, p.grad, atol=1e-6) for g, p in zip(got, layer.parameters()))


def _train_runs(rank: int, ports: list[int], root: str) -> None:
    """A straight 2-process run, and one stopped after 2 iterations then resumed (each run
    joins a process group of its own, on a port of its own, as a torchrun launch would)."""
    from rewriter.learn.train import train

    _gradient_sum(rank, ports[3], str(Path(root) / "g"))
    problem = JobShopProblem()
    root = Path(root)
    _as_rank(rank, 2, ports[0])
    train(_tiny_config(episodes=EPISODES), problem, root / "straight", progress=False)
    _as_rank(rank, 2, ports[1])
    train(_tiny_config(episodes=EPISODES, iterations=2), problem, root / "split", progress=False)
    _as_rank(rank, 2, ports[2])
    train(_tiny_config(episodes=EPISODES), problem, root / "split", resume=True, progress=False)


def _log(path):
    lines = Path(path).read_text().splitlines()
    return [",".join(x for i, x in enumerate(line.split(",")) if i != 1) for line in lines]  # no wall


def _spawn_runs(root: Path) -> None:
    mp.spawn(_train_runs, args=([_free_port() for _ in range(4)], str(root)), nprocs=2)


def test_two_processes_sum_gradients_train_deterministically_and_resume(tmp_path, capsys):
    _spawn_runs(tmp_path)
    _check_gradient_sum(tmp_path)  # the weighted gradient sum is the global mean's gradient
    a = _params(tmp_path / "straight" / "checkpoint.pt")
    b = _params(tmp_path / "split" / "checkpoint.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)  # resumed with 2 processes = straight
    assert _log(tmp_path / "straight" / "log.csv") == _log(tmp_path / "split" / "log.csv")
    blob = torch.load(tmp_path / "split" / "checkpoint.pt", weights_only=True)
    assert blob["world_size"] == 2 and len(blob["rank_rngs"]) == 2
    assert '"world_size": 2' in (tmp_path / "straight" / "config.json").read_text()
    # one process cannot resume a 2-process run: one line, exit 2, nothing written
    from rewriter.cli import main

    before = (tmp_path / "split" / "checkpoint.pt").read_bytes()
    assert main(["train", "--run-dir", str(tmp_path / "split"), "--resume", "--iterations", "6",
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "trained by 2 processes (world size 2)" in err
    assert (tmp_path / "split" / "checkpoint.pt").read_bytes() == before
    # within the noise of the single-process run: the 2-process mean loss over the iterations
    # lies within 3 standard deviations of five single-process seeds' mean losses
    import csv

    def mean_loss(run_dir):
        with open(run_dir / "log.csv") as fh:
            return np.mean([float(r["loss"]) for r in csv.DictReader(fh)])

    singles = []
    for seed in range(5):
        from rewriter.learn.train import train

        train(_tiny_config(episodes=EPISODES, seed=seed), JobShopProblem(), tmp_path / f"one{seed}",
              progress=False)
        singles.append(mean_loss(tmp_path / f"one{seed}"))
    centre, spread = np.mean(singles), np.std(singles, ddof=1)
    assert abs(mean_loss(tmp_path / "straight") - centre) <= 3 * spread, (singles, mean_loss(tmp_path / "straight"))


@pytest.mark.slow
def test_torchrun_on_the_command_line_trains_the_same_parameters(tmp_path):
    _spawn_runs(tmp_path)
    # the same run through torchrun and the command line gives the same parameters again
    c = _tiny_config(episodes=EPISODES)
    flags = ["--problem", "jssp", "--episodes", str(EPISODES), "--episode-steps", str(c.episode_steps),
             "--iterations", str(c.iterations), "--minibatch", str(c.minibatch), "--ppo-epochs",
             str(c.ppo_epochs), "--sizes", ",".join(c.sizes), "--validation-sizes",
             ",".join(c.validation_sizes), "--validation-per-size", "1", "--validation-steps",
             str(c.validation_steps), "--validate-every", str(c.validate_every), "--hidden",
             str(c.hidden), "--mlp-hidden", str(c.mlp_hidden), "--seed", str(c.seed),
             "--init-rules", ",".join(c.init_rules), "--validation-init", c.validation_init]
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                          "--master-port", str(_free_port()), "-m", "rewriter", "train",
                          "--run-dir", str(tmp_path / "cli"), "--quiet", *flags],
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    a, d = _params(tmp_path / "straight" / "checkpoint.pt"), _params(tmp_path / "cli" / "checkpoint.pt")
    assert all(torch.equal(a[k], d[k]) for k in a)
