"""Time of one learned step with each encoder (untrained weights: the time does not depend on them).

    python benchmarks/bench_encoders.py --cases jssp:ta41,fjsp:prod_500x149_s0 --repeats 10
    python benchmarks/bench_encoders.py --cases fjsp:prod_500x149_s0 --encoders hgat \
        --hgat-machines 0,4,8 --repeats 5

Per case and encoder, on one thread: the forward pass alone (typed view or Tree-LSTM batch,
encoder, scoring every candidate) and a whole learned step (graph, candidates, forward, choice,
apply), the median of ``--repeats`` after one warm-up, in CPU and wall milliseconds, as a
markdown table. hgat runs once per ``--hgat-machines`` value (eligibility messages along each
operation's K fastest machines plus its current one; 0: all).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from rewriter.learn.act import rewrite_step
from rewriter.learn.policy import Candidates, ModelConfig, RewritePolicy


def _state(problem: str, name: str):
    if problem == "jssp":
        from rewriter.jssp.bundled import load_instance
        from rewriter.jssp.rewrite import JobShopProblem

        return JobShopProblem().initial_state(load_instance(name), "mwkr")
    from rewriter.fjsp.bundled import load_instance
    from rewriter.fjsp.rewrite import FlexibleRewriteProblem

    return FlexibleRewriteProblem().initial_state(load_instance(name), "mwkr-eet")


def _median_ms(fn, repeats: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``fn()``; on a shared machine the CPU time is the
    closer estimate of the wall time on an idle core."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        tic, tic_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - tic)
        cpu.append(time.process_time() - tic_cpu)
    return 1000 * statistics.median(wall), 1000 * statistics.median(cpu)


def measure(problem: str, name: str, encoder: str, repeats: int, machines: int = 0) -> dict:
    """Forward and whole-step milliseconds of one encoder on one instance (``machines``: hgat's
    K)."""
    state = _state(problem, name)
    torch.manual_seed(0)
    model = RewritePolicy(ModelConfig(state.node_features, state.pair_features,
                                      encoder=encoder, hgat_machines=machines)).eval()
    cands = Candidates.stack([state.candidates()])

    @torch.no_grad()
    def forward():
        model.score(model.encode([model.observe(state)]), cands)

    rng = np.random.default_rng(0)
    work = state.copy()

    def step():
        rewrite_step(model, [work], rng, argmax=True)

    graph = model.observe(state)
    return {"case": f"{problem}:{name}", "nodes": graph.n_nodes, "candidates": len(cands.pairs),
            "encoder": encoder if encoder != "hgat" else f"hgat K={machines}", "forward_ms": _median_ms(forward, repeats),
            "step_ms": _median_ms(step, repeats)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="jssp:ta41,fjsp:prod_500x149_s0")
    parser.add_argument("--encoders", default="treelstm,hgat")
    parser.add_argument("--hgat-machines", default="0",
                        help="comma-separated K values for hgat (0: all eligible machines)")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| case | nodes | candidates | encoder | forward ms (CPU) | forward ms (wall) | "
          "whole step ms (CPU) | whole step ms (wall) |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for case in args.cases.split(","):
        problem, name = case.split(":")
        runs = [(encoder, int(k)) for encoder in args.encoders.split(",")
                for k in (args.hgat_machines.split(",") if encoder == "hgat" else ["0"])]
        for encoder, k in runs:
            r = measure(problem, name, encoder, args.repeats, k)
            print(f"| {r['case']} | {r['nodes']} | {r['candidates']} | {r['encoder']} | "
                  f"{r['forward_ms'][1]:.1f} | {r['forward_ms'][0]:.1f} | {r['step_ms'][1]:.1f} | "
                  f"{r['step_ms'][0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
