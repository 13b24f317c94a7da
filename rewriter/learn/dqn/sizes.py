"""Size classes ``NxM`` (jobs x machines) of the random training and validation instances."""

from __future__ import annotations

import re

from ...errors import InputError

_SIZE = re.compile(r"([1-9][0-9]*)x([1-9][0-9]*)")


def parse_size(text: str) -> tuple[int, int]:
    """``"50x10"`` -> (50, 10); anything else is an :class:`InputError`."""
    match = _SIZE.fullmatch(str(text).strip().lower())
    if match is None:
        raise InputError(f"size {text!r}: expected JOBSxMACHINES, e.g. 50x10")
    return int(match.group(1)), int(match.group(2))


def random_instance(size: str, seed: int):
    """The compatibility instance of ``size`` and ``seed`` (the evaluation sets' generator)."""
    from ...fjsp.generate import compatibility_instance

    n, m = parse_size(size)
    return compatibility_instance(n, m, seed)
