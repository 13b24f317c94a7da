"""MRT instances by name: the bundled samples (``mrt_d20_test_00000``) and every sequence of the
seeded data set (``mrt_d{D}_{train|validation|test}_{index:05d}``), or a JSON file by path."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from ..errors import InputError
from .instance import MrtInstance

DATASET_NAME = re.compile(r"mrt_d(\d+)_(train|validation|test)_(\d+)")


def load_instance(text: str) -> MrtInstance:
    """An MRT JSON file, a bundled sample by name (``mrt_d20_test_00000``), or any sequence of
    the seeded data set by name (``mrt_d{D}_{train|validation|test}_{index:05d}``)."""
    from .io import read_instance

    path = Path(text)
    # exists(), not is_file(): a directory or a FIFO of that name is refused as what it is
    match = DATASET_NAME.fullmatch(path.stem) if not path.exists() else None
    bundled = Path(str(resources.files("rewriter.instances").joinpath("mrt", f"{path.stem}.json")))
    if match and not bundled.is_file():
        from .generate import dataset_instance

        return dataset_instance(int(match.group(1)), match.group(2), int(match.group(3)))
    if not path.exists():
        bundled = Path(str(resources.files("rewriter.instances").joinpath("mrt", f"{path.stem}.json")))
        if not bundled.is_file():
            raise InputError(f"{text}: no such MRT instance file or bundled sample "
                             "(e.g. mrt_d20_test_00000)")
        path = bundled
    return read_instance(path)
