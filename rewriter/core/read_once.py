"""Recognising an instance by reading it, without reading it twice.

The registry finds the problem of ``rewriter solve FILE`` by asking each problem whether it
recognizes the file; the shops answer by reading it, and the command then loads it. A
:class:`ReadOnce` keeps the instance its ``recognizes`` read, and its ``load_instance`` hands that
one over (once) when the same name is loaded next and the file has not changed since.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError


def _identity(text: str) -> tuple:
    """``text`` with, for a file, its modification time and size: a changed file is read anew."""
    path = Path(text)
    try:
        stat = path.stat() if path.is_file() else None
    except OSError:
        stat = None
    return text, None if stat is None else (stat.st_mtime_ns, stat.st_size)


class ReadOnce:
    """``recognizes`` and ``load_instance`` of a problem whose instances are recognised by
    reading them with ``load`` (a name or path -> instance; :class:`InputError` or
    :class:`OSError` when it is not one)."""

    def __init__(self, load: Callable[[str], Any]):
        self.load = load
        self._kept: tuple | None = None  # (identity, instance) of the last recognised name
        self._lock = threading.Lock()  # two threads loading at once never share one instance

    def recognizes(self, text: str) -> bool:
        try:
            instance = self.load(text)
        except (InputError, OSError):
            return False
        with self._lock:
            self._kept = (_identity(text), instance)
        return True

    def load_instance(self, text: str):
        with self._lock:
            kept, self._kept = self._kept, None  # handed over once: every caller gets its own
        if kept is not None and kept[0] == _identity(text):
            return kept[1]
        return self.load(text)
