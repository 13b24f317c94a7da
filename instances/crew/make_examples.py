"""Write the bundled crew examples (``instances/crew/``), small enough to read and to solve exactly.

Run from the repository root: ``.venv/bin/python instances/crew/make_examples.py``. A test checks
that the files are exactly what :func:`examples` builds.

- ``crew_example_8x3.json``: 8 uniform orders, 3 operators (``generate(8, 3, seed=1)``);
- ``crew_example_12x4.csv``: 12 clustered orders, 4 operators, in the CSV form;
- ``crew_example_6x2_matrix.json``: 6 orders, 2 operators, with explicit travel matrices: the
  Euclidean times with a detour of 10% and 20% more for a leg that climbs in y (asymmetric),
  rounded up to 0.01 h; capacities are scaled by the same 1.2 (plus 0.01 h per order for the
  rounding) so that the generator's witness solution still fits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rewriter.crew.generate import generate
from rewriter.crew.instance import CrewInstance
from rewriter.crew.io import write_instance

HERE = Path(__file__).resolve().parent


def _with_matrices(instance: CrewInstance, name: str) -> CrewInstance:
    def travel(origins: np.ndarray, targets: np.ndarray) -> np.ndarray:
        delta = targets[None, :, :] - origins[:, None, :]
        climb = np.where(delta[:, :, 1] > 0, 1.2, 1.1)
        return np.ceil(np.hypot(delta[:, :, 0], delta[:, :, 1]) / instance.speed * climb * 100) / 100

    return CrewInstance(name, instance.orders, instance.hours, instance.operators,
                        np.ceil(instance.capacity * 1.2 * 100) / 100 + 0.01 * instance.n_orders,
                        instance.active, speed=instance.speed, alpha=instance.alpha,
                        beta=instance.beta, start_travel=travel(instance.operators, instance.orders),
                        order_travel=travel(instance.orders, instance.orders),
                        metadata={"generator": "crew", "layout": "uniform", "seed": 2,
                                  "travel": "euclidean x 1.1, x 1.2 climbing in y, rounded up"})


def examples() -> dict[str, CrewInstance]:
    """File name -> instance."""
    return {"crew_example_8x3.json": generate(8, 3, seed=1, name="crew_example_8x3"),
            "crew_example_12x4.csv": generate(12, 4, layout="clustered", seed=1,
                                              name="crew_example_12x4"),
            "crew_example_6x2_matrix.json": _with_matrices(generate(6, 2, seed=2),
                                                           "crew_example_6x2_matrix")}


def main(out_dir: Path = HERE) -> list[Path]:
    written = []
    for file_name, instance in examples().items():
        path = Path(out_dir) / file_name
        write_instance(instance, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main():
        print(f"wrote {path}")
