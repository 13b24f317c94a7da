"""One MaskablePPO policy, trained on random 10x10 instances, run on ft10 and la16 unretrained.

    python benchmarks/bench_envs_padded.py [--steps 60000] [--seeds 0 1 2] [--out FILE]

``rewriter/JobShopDispatch-v0`` made with ``max_jobs=15, max_machines=15`` has the same
observation and action spaces for every instance up to 15 x 15 (the padded jobs are zero rows
and masked out), so a policy trained on one size plays another. For each seed this trains
sb3-contrib's ``MaskablePPO`` (``MultiInputPolicy``, its defaults but ``n_steps=1024``,
``batch_size=256``, one torch thread) for ``--steps`` decisions on a new random 10x10 Taillard-style
instance per episode, then plays each test instance once, greedily (``deterministic=True``), in a
padded environment of the same maximum. Beside it: the package's dispatching rules
(``rewriter.jssp.dispatching``, active schedules) on the same instances. It prints a markdown
table of makespans (needs ``pip install 'rewriter[rl]'``).
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib import MaskablePPO

import rewriter.envs  # noqa: F401  (registers the ids)
from rewriter.jssp.bundled import load_instance
from rewriter.jssp.dispatching import dispatch

MAX = dict(max_jobs=15, max_machines=15)
RULES = ("mwkr", "spt", "fifo", "mor", "lwkr")


def train(seed: int, steps: int) -> tuple[MaskablePPO, float]:
    """A MaskablePPO trained on random 10x10 instances in the padded environment; its seconds."""
    env = gym.make("rewriter/JobShopDispatch-v0", num_jobs=10, num_machines=10, **MAX)
    model = MaskablePPO("MultiInputPolicy", env, n_steps=1024, batch_size=256, seed=seed,
                        verbose=0)
    began = time.perf_counter()
    model.learn(total_timesteps=steps)
    return model, time.perf_counter() - began


def play(model: MaskablePPO, instance: str) -> int:
    """The makespan of the policy's greedy episode on ``instance`` (padded to the same size)."""
    env = gym.make("rewriter/JobShopDispatch-v0", instance=instance, **MAX)
    obs, info = env.reset(seed=0)
    done = False
    while not done:
        action, _ = model.predict(obs, action_masks=info["action_mask"], deterministic=True)
        obs, _, done, _, info = env.step(action)
    if info["termination"] != "done":
        raise RuntimeError(f"{instance}: the episode ended by {info['termination']}")
    return int(info["makespan"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60_000, help="training decisions per seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--instances", nargs="+", default=["ft10", "la16", "ft06", "la21"])
    parser.add_argument("--out", default=None, help="also write the table to this file")
    args = parser.parse_args()
    torch.set_num_threads(1)

    rows = {name: {} for name in args.instances}
    for name in args.instances:
        instance = load_instance(name)
        for rule in RULES:
            rows[name][rule] = dispatch(instance, rule).makespan
    seconds = []
    for seed in args.seeds:
        model, took = train(seed, args.steps)
        seconds.append(took)
        for name in args.instances:
            rows[name][f"ppo s{seed}"] = play(model, name)

    for name in args.instances:
        rows[name]["ppo mean"] = f"{np.mean([rows[name][f'ppo s{s}'] for s in args.seeds]):.0f}"
    columns = [f"ppo s{s}" for s in args.seeds] + ["ppo mean"] + list(RULES)
    lines = [f"MaskablePPO on JobShopDispatch-v0 padded to 15x15, trained on random 10x10 "
             f"instances: {args.steps} decisions per seed, seeds {args.seeds}, "
             f"{np.mean(seconds):.0f} s of training per seed (1 torch thread); greedy play, "
             f"no retraining on the test instances. Rules: active dispatching schedules "
             f"(rewriter.jssp.dispatching).", "",
             "| instance | size | " + " | ".join(columns) + " |",
             "|---|---|" + "---|" * len(columns)]
    for name in args.instances:
        inst = load_instance(name)
        cells = [str(rows[name][c]) for c in columns]
        lines.append(f"| {name} | {inst.n_jobs}x{inst.n_machines} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
