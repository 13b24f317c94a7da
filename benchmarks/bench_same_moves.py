"""Today's code beside an older checkout at the same move budget: the job shop's default
(``controlled``) and plain tabu search, seed 0, on the given instances. Where a change only made
moves cheaper, the makespans must be identical and the CPU seconds tell the speed.

    git worktree add /tmp/rewriter_b58261a b58261a
    python benchmarks/bench_same_moves.py --baseline-src /tmp/rewriter_b58261a \\
        --instances ta41-50,ta61-70,dmu16-20,dmu56-60 --steps 200000 \\
        --out benchmarks/results/same_moves_200k.md

Each side runs in a process of its own (``PYTHONPATH`` = its source tree, its own numba cache);
every method runs once untimed first so compiling is left out; times are CPU seconds
(``time.process_time``) of the timed run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
POLICIES = ("controlled", "tabu")


def child(names: list[str], steps: int) -> None:
    """Run in a side's process: one JSON line of results on stdout."""
    import rewriter
    from rewriter import load_instance

    rows = []
    for name in names:
        inst = load_instance(name)
        for policy in POLICIES:
            rewriter.solve(inst, policy=policy, steps=200, seed=0)  # compiled or loaded first
            t = time.process_time()
            result = rewriter.solve(inst, policy=policy, steps=steps, seed=0)
            rows.append({"instance": name, "policy": policy, "makespan": int(result.makespan),
                         "steps": int(result.steps), "cpu_s": time.process_time() - t})
    print(json.dumps(rows))


def side(source: Path, names: list[str], steps: int) -> list[dict]:
    env = dict(os.environ, PYTHONPATH=str(source),
               NUMBA_CACHE_DIR=str(Path(tempfile.gettempdir()) / f"numba_{source.name}"))
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps([names, steps])],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def expand(spec: str) -> list[str]:
    sys.path.insert(0, str(HERE))
    from rewriter.jssp.bundled import expand_instance_names

    return list(expand_instance_names(spec))


def table(old: list[dict], new: list[dict], command: str) -> str:
    by_key = {(r["instance"], r["policy"]): r for r in new}
    lines = [f"command: `{command}`", "",
             "| instance | policy | makespan before | makespan now | CPU s before | CPU s now |",
             "|---|---|---|---|---|---|"]
    ratios, same = [], 0
    for r in old:
        n = by_key[(r["instance"], r["policy"])]
        same += r["makespan"] == n["makespan"] and r["steps"] == n["steps"]
        ratios.append(r["cpu_s"] / n["cpu_s"])
        lines.append(f"| {r['instance']} | {r['policy']} | {r['makespan']} | {n['makespan']} | "
                     f"{r['cpu_s']:.2f} | {n['cpu_s']:.2f} |")
    se = statistics.stdev(ratios) / len(ratios) ** 0.5 if len(ratios) > 1 else 0.0
    lines += ["", f"identical makespans and steps: {same} of {len(old)}; CPU time before / now: "
              f"{statistics.mean(ratios):.3f} ± {se:.3f} (mean ± standard error)"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-src", type=Path, help="checkout of the older code")
    parser.add_argument("--instances", default="ta41-50", help="bundled names or ranges")
    parser.add_argument("--steps", type=int, default=200_000, help="moves per run")
    parser.add_argument("--out", type=Path, help="markdown report")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        names, steps = json.loads(args.child)
        return child(names, steps)
    if args.baseline_src is None or not (args.baseline_src / "rewriter").is_dir():
        parser.error("--baseline-src must be a checkout holding the rewriter package")
    names = expand(args.instances)
    old = side(args.baseline_src.resolve(), names, args.steps)
    new = side(HERE, names, args.steps)
    report = table(old, new, "python " + " ".join(sys.argv))
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
