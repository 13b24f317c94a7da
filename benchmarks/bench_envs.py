"""Steps per second of the gymnasium environments under random legal play.

    python benchmarks/bench_envs.py [--instance ta41] [--seconds 20] [--seed 0] [--out FILE]

Each environment is made with ``gymnasium.make`` (so with gymnasium's default wrappers, as a user
gets it) and played by the random legal agents of ``rewriter.envs.play`` for whole episodes until
``--seconds`` have passed: ``JobShop-v0`` (every machine draws from its mask row, never
deadlocking), ``JobShopDispatch-v0`` (a uniform choice among the legal jobs and the no-op),
``JobShopGraph-v0`` (a uniform choice among the jobs with operations left) and
``Rewrite-v0`` on the job shop from MWKR with N5 moves, 200 rewrites per episode (a uniform choice
among the candidates). It prints a markdown table: episodes, steps, steps/s and the mean final
makespan (constructive: the schedule's; rewrite: the last one).
"""

from __future__ import annotations

import argparse
import os
import time

import gymnasium as gym
import numpy as np

import rewriter.envs  # noqa: F401  (registers the ids)
from rewriter.envs.play import random_jobshop_action, random_masked_choice


def _jobshop_action(obs, info, rng):
    return random_jobshop_action(obs, rng)


def _dispatch_action(obs, info, rng):
    return random_masked_choice(obs["action_mask"], rng)


def _rewrite_action(obs, info, rng):
    return random_masked_choice(obs["candidate_mask"], rng)


def measure(env_id: str, kwargs: dict, choose, seconds: float, seed: int) -> dict:
    """Play whole episodes for at least ``seconds``; the reset time is counted, making the env
    (and compiling numba kernels, which a first reset triggers) is not."""
    env = gym.make(env_id, **kwargs)
    env.reset(seed=seed)  # warm-up: loads the instance, compiles kernels
    rng = np.random.default_rng(seed)
    steps = episodes = 0
    makespans = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        obs, info = env.reset(seed=seed + episodes)
        while True:
            obs, _, terminated, truncated, info = env.step(choose(obs, info, rng))
            steps += 1
            if terminated or truncated:
                break
        if info.get("termination") not in (None, "done"):
            raise RuntimeError(f"{env_id}: random legal play ended by {info['termination']}")
        makespans.append(info.get("makespan", info.get("cost")))
        episodes += 1
    elapsed = time.perf_counter() - start
    return {"env": env_id, "episodes": episodes, "steps": steps, "seconds": round(elapsed, 1),
            "steps/s": f"{steps / elapsed:,.0f}",
            "mean final makespan": round(float(np.mean(makespans)), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", default="ta41")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="also write the table (markdown) to this file")
    args = parser.parse_args()
    cases = [
        ("rewriter/JobShop-v0", {"instance": args.instance}, _jobshop_action),
        ("rewriter/JobShopDispatch-v0", {"instance": args.instance}, _dispatch_action),
        ("rewriter/JobShopGraph-v0", {"instance": args.instance}, _dispatch_action),
        ("rewriter/Rewrite-v0", {"problem": "jssp", "instance": args.instance, "init": "mwkr",
                                 "max_steps": 200}, _rewrite_action),
    ]
    load = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    rows = [measure(env_id, kwargs, choose, args.seconds, args.seed)
            for env_id, kwargs, choose in cases]
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        from rewriter.atomic import write_atomic

        command = (f"python benchmarks/bench_envs.py --instance {args.instance} "
                   f"--seconds {args.seconds:g} --seed {args.seed} --out {args.out}")
        note = (f"One process, random legal play on {args.instance}; load average {load:.2f} when "
                f"it started (on a shared machine the rates vary by tens of percent).")
        write_atomic(args.out, f"`{command}`\n\n{note}\n\n{table}")


if __name__ == "__main__":
    main()
