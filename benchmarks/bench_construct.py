"""Wall time of decoding the constructive scheduler, greedy and sampled, one instance per size.

    python benchmarks/bench_construct.py [--model PATH] [--instances ta01,ta21,ta41,ta71]
                                         [--samples 16] [--repeats 3] [--out FILE]

For each instance it times ``rewriter.learn.construct.decode.construct`` (the same call as the
``construct`` and ``construct:K`` methods: decoding, the machine orders, the validator) with one
torch thread: greedy decoding, best of ``--repeats`` runs after one warm-up, and one run of
``--samples`` sampled schedules. It prints a markdown table (size, decisions of the greedy
episode, seconds, makespans) and writes it to ``--out`` when given.
"""

from __future__ import annotations

import argparse
import os
import time

from rewriter.learn.construct.decode import construct
from rewriter.learn.construct.model_file import construct_model
from rewriter.core.threads import limit_threads
from rewriter.jssp.bundled import load_instance


def measure(name: str, model, samples: int, repeats: int) -> dict:
    """Greedy (best of ``repeats``) and sampled decoding times of one instance."""
    instance = load_instance(name)
    policy, _ = construct_model(model)
    construct(instance, model=model)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        greedy = construct(instance, model=model)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    sampled = construct(instance, model=model, samples=samples, seed=0)
    sampled_s = time.perf_counter() - t0
    decisions = _count(instance, policy)
    return {"instance": name, "size": f"{instance.n_jobs}x{instance.n_machines}",
            "decisions": decisions, "greedy_s": min(times), "greedy": greedy.makespan,
            "sampled_s": sampled_s, "sampled": sampled.makespan}


def _count(instance, policy) -> int:
    """Decisions of the greedy episode (recorded, through the torch policy)."""
    from rewriter.learn.construct.rollout import play
    from rewriter.envs.dispatch import JobShopDispatchEnv

    episode = play(policy, [JobShopDispatchEnv(instance=instance)], [0], instance.n_jobs, None,
                   record=True)[0]
    return len(episode.actions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="constructive model (default: shipped)")
    parser.add_argument("--instances", default="ta01,ta21,ta41,ta71")
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out")
    args = parser.parse_args()
    with limit_threads(1):
        rows = [measure(n, args.model, args.samples, args.repeats)
                for n in args.instances.split(",")]
    lines = [f"| instance | size | decisions | greedy s | greedy makespan | {args.samples} "
             f"samples s | best of {args.samples} |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['instance']} | {r['size']} | {r['decisions']} | {r['greedy_s']:.3f} | "
              f"{r['greedy']} | {r['sampled_s']:.2f} | {r['sampled']} |" for r in rows]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(f"Decoding times of the constructive scheduler on {os.cpu_count()} cores "
                     f"(one torch thread), `python benchmarks/bench_construct.py`:\n\n"
                     + text + "\n")


if __name__ == "__main__":
    main()
