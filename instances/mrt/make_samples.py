"""Write the bundled MRT sample instances: test sequence 0 of the seeded data set for every D.

Run from the repository root: ``.venv/bin/python instances/mrt/make_samples.py``. The files are
``instances/mrt/mrt_d{D}_test_00000.json`` for D in 2, 5, 10, 20; they are exactly
``rewriter.mrt.generate.dataset_instance(D, "test", 0)`` (a test checks this).
"""

from __future__ import annotations

from pathlib import Path

from rewriter.mrt.generate import RESOURCE_SIZES, dataset_instance
from rewriter.mrt.io import write_instance

SAMPLES = [(d, "test", 0) for d in RESOURCE_SIZES]


def main(out_dir=Path(__file__).resolve().parent) -> list[Path]:
    written = []
    for d, split, index in SAMPLES:
        instance = dataset_instance(d, split, index)
        path = Path(out_dir) / f"{instance.name}.json"
        write_instance(instance, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main():
        print(f"wrote {path}")
