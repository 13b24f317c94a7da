"""Helpers for the tests that run the command line in a child process and signal it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def code_env() -> dict:
    """The environment for a child ``python -m rewriter``: the code under test first on its path."""
    import rewriter

    root = str(Path(rewriter.__file__).resolve().parent.parent)
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))


def descendants(pid: int) -> set[int]:
    """Process ids whose parent chain leads to ``pid`` (read from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
            except OSError:
                continue
            parents[int(entry)] = int(text.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Is ``pid`` running (not ended, not a zombie)?"""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def interrupt(proc: subprocess.Popen, *, group: bool = False, within: float = 20.0) -> str:
    """Send SIGINT to ``proc`` (its whole process group with ``group``), wait for it to end, and
    return its stderr; fails the calling test if it runs ``within`` seconds after the signal.
    The process group is killed in any case, so no child outlives the test."""
    import pytest

    try:
        if group:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        t0 = time.monotonic()
        try:
            err = proc.communicate(timeout=within + 5)[1]
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {within + 5:g} s after SIGINT")
        assert time.monotonic() - t0 < within, f"{time.monotonic() - t0:.1f} s after SIGINT"
        return err
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
