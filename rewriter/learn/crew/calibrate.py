"""How well the crew network's activation head is calibrated, and the decoder's activation gate
chosen on held-out instances (``python -m rewriter.learn.crew.calibrate``).

Calibration: on each labelled instance, the head's probabilities at the empty state summed over
the idle operators (the number of operators it expects to call in) against the number the label
calls in, and against the number the decoded routes call in, by size.

The gate (:func:`.decode.decode`'s ``activation_threshold``): every threshold of ``thresholds``
is decoded on the same instances; :func:`choose_threshold` keeps the one with the least mean
gap to the labels, each size weighing the same (the sizes hold different numbers of operators,
and the over-activation grows with size). Run it on validation instances, never on the seeds a
table reports: the card's threshold is then a choice made before the measurement.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from ...atomic import write_atomic
from ...core.threads import limit_threads
from .decode import decode
from .graph import NEIGHBOURS, build_graph
from .labels import Labelled, labelled_set
from .model import CrewNet, batch_graphs

__all__ = ["expected_activations", "calibration", "gate_table", "choose_threshold",
           "THRESHOLDS", "threshold_of"]

#: the gates tried: None (no gate) and thresholds on the activation probability
THRESHOLDS = (None, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0)


def threshold_of(card: dict | None) -> float | None:
    """The activation threshold a model's card keeps (None: no gate)."""
    return ((card or {}).get("decoding") or {}).get("activation_threshold")


def expected_activations(net: CrewNet, item: Labelled, k: int = NEIGHBOURS) -> float:
    """The activation head's expected number of idle operators called in: its probabilities on
    the empty routes, summed over the idle operators."""
    batch = batch_graphs([build_graph(item.instance, None, k)])
    with torch.no_grad():
        operators, orders = net.encode(batch)
        p = torch.sigmoid(net.activation_logits(batch, operators, orders)).double().numpy()
    return float(p[~item.instance.active].sum())


def _idle_called(schedule) -> int:
    inst = schedule.instance
    return int(sum(1 for k, route in enumerate(schedule.routes)
                   if route.size and not inst.active[k]))


def _size(item: Labelled) -> str:
    return f"{item.instance.n_orders}x{item.instance.n_operators}"


def calibration(net: CrewNet, items: list[Labelled], k: int = NEIGHBOURS,
                threshold: float | None = None, placement: str = "cheapest") -> list[dict]:
    """Per size: instances, idle operators, called in by the label, expected by the head, called
    in by the decoded routes (with ``threshold``), each a mean over the size's instances."""
    rows: dict[str, dict] = {}
    for item in items:
        decoded = decode(item.instance, net, k=k, placement=placement,
                         activation_threshold=threshold).schedule
        row = rows.setdefault(_size(item), {"size": _size(item), "values": []})
        row["values"].append((int((~item.instance.active).sum()), _idle_called(item.solution),
                              expected_activations(net, item, k), _idle_called(decoded)))
    out = []
    for row in rows.values():
        v = np.array(row["values"], np.float64)
        out.append({"size": row["size"], "instances": len(v), "idle": float(v[:, 0].mean()),
                    "label": float(v[:, 1].mean()), "expected": float(v[:, 2].mean()),
                    "decoded": float(v[:, 3].mean())})
    return out


def gate_table(net: CrewNet, items: list[Labelled], thresholds=THRESHOLDS,
               k: int = NEIGHBOURS, placement: str = "cheapest") -> dict:
    """{threshold: {size: (mean gap % to the label, mean idle operators called in)}}."""
    out = {}
    for tau in thresholds:
        per: dict[str, list] = {}
        for item in items:
            schedule = decode(item.instance, net, k=k, placement=placement,
                              activation_threshold=tau).schedule
            gap = 100 * (schedule.objective - item.objective) / item.objective
            per.setdefault(_size(item), []).append((gap, _idle_called(schedule)))
        out[tau] = {size: tuple(np.mean(v, axis=0).tolist()) for size, v in per.items()}
    return out


def choose_threshold(table: dict) -> float | None:
    """The threshold of ``table`` (:func:`gate_table`) with the least mean over sizes of the
    mean gap; on a tie the first (None, then the lower thresholds)."""
    return min(table, key=lambda tau: (float(np.mean([g for g, _ in table[tau].values()])),
                                       list(table).index(tau)))


def _markdown(calib: list[dict], table: dict) -> str:
    lines = ["| size | instances | idle operators | called in: label | head expects | "
             "decoded |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['size']} | {r['instances']} | {r['idle']:.1f} | {r['label']:.2f} | "
              f"{r['expected']:.2f} | {r['decoded']:.2f} |" for r in calib]
    sizes = list(next(iter(table.values())))
    lines += ["", "| gate | " + " | ".join(sizes) + " | mean |", "|---|" + "---|" * (len(sizes) + 1)]
    for tau, per in table.items():
        cells = [f"{per[s][0]:+.2f}% ({per[s][1]:.1f})" for s in sizes]
        lines.append(f"| {'none' if tau is None else tau} | " + " | ".join(cells)
                     + f" | {np.mean([per[s][0] for s in sizes]):+.2f}% |")
    return "\n".join(lines)


def main(argv=None) -> int:
    from .model_file import load_crew_model
    from .train import parse_sizes

    p = argparse.ArgumentParser(prog="python -m rewriter.learn.crew.calibrate",
                                description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="a crew model.pt")
    p.add_argument("--labels", required=True, help="the directory of cached label chunks")
    p.add_argument("--sizes", required=True, help="e.g. 10x4,50x8,200x30")
    p.add_argument("--per-size", type=int, default=6)
    p.add_argument("--seed", type=int, default=900_000, help="the label seeds (validation's)")
    p.add_argument("--label-seconds", type=float, default=2.0)
    p.add_argument("--best-seconds", type=float, default=3.0)
    p.add_argument("--threshold", default="card",
                   help="the gate for the calibration rows: card (the model's), none or a number")
    p.add_argument("--write-card", action="store_true",
                   help="store the chosen threshold in the model's card (model.json)")
    p.add_argument("--out", type=Path, help="the tables as markdown")
    args = p.parse_args(argv)
    with limit_threads(1):
        net, card = load_crew_model(args.model)
        items = labelled_set(args.labels, parse_sizes(args.sizes), args.per_size, args.seed,
                             args.label_seconds, best_seconds=args.best_seconds)
        threshold = (threshold_of(card) if args.threshold == "card" else
                     None if args.threshold == "none" else float(args.threshold))
        table = gate_table(net, items)
        calib = calibration(net, items, threshold=threshold)
    chosen = choose_threshold(table)
    text = (f"<!-- python -m rewriter.learn.crew.calibrate {' '.join(argv or sys.argv[1:])} -->\n"
            f"calibration with gate {threshold}; gate chosen: {chosen}\n\n"
            + _markdown(calib, table) + "\n")
    print(text)
    if args.out:
        write_atomic(args.out, text)
    if args.write_card:
        card_path = Path(args.model).with_suffix(".json")
        card = dict(card or {})
        card["decoding"] = {"activation_threshold": chosen,
                            "chosen_on": f"{args.sizes}, {args.per_size} per size, seeds "
                                         f"{args.seed}+ (python -m rewriter.learn.crew.calibrate)",
                            "gaps_pct": {str(t): round(float(np.mean([g for g, _ in per.values()])), 3)
                                         for t, per in table.items()}}
        write_atomic(card_path, json.dumps(card, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
