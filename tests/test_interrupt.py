"""A Ctrl-C is never lost: not when numba swallows it while compiling, not in a compare's
unrecorded warm-up run."""

import glob
import os
import signal
import subprocess
import sys
import time

import pytest

from rewriter.core import interrupt
from rewriter.core.loop import Stepper, run

from .processes import interrupt as interrupt_process


class _Swallowing(Stepper):
    """A search whose chunk ``swallow_at`` gets a Ctrl-C that its own code catches and drops,
    as numba's compiler does with a KeyboardInterrupt raised while it compiles a kernel."""

    def __init__(self, swallow_at: int, finish_at: int | None = None):
        super().__init__(initial_cost=100.0)
        self.swallow_at, self.finish_at, self.chunks = swallow_at, finish_at, 0

    def advance(self, n):
        self.chunks += 1
        if self.chunks == self.swallow_at:
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1.0)  # the handler runs here, in the main thread
            except KeyboardInterrupt:
                pass
        self.steps += n
        self.best_cost -= 1
        finished = "optimal" if self.chunks == self.finish_at else None
        return n, finished, [(self.steps, self.best_cost)]

    def best(self):
        return self.best_cost


def test_a_swallowed_ctrl_c_ends_the_search_at_the_next_chunk_with_the_best_so_far():
    search = _Swallowing(swallow_at=3)
    outcome = run(search, steps=None, time_limit=30)
    assert outcome.status == "interrupted" and search.chunks == 3
    assert outcome.best_cost == 97 and outcome.runtime_s < 10
    # dealt with: the next search is not cut short by the same Ctrl-C
    assert run(_Swallowing(swallow_at=0), steps=50).status == "completed"


def test_a_ctrl_c_swallowed_in_the_last_chunk_is_not_reported_as_a_finished_search():
    assert run(_Swallowing(swallow_at=2, finish_at=2), steps=None).status == "interrupted"
    assert run(_Swallowing(swallow_at=1), steps=1).status == "interrupted"
    assert run(_Swallowing(swallow_at=0, finish_at=2), steps=None).status == "optimal"


def test_a_swallowed_ctrl_c_propagates_when_the_caller_keeps_no_result():
    with pytest.raises(KeyboardInterrupt):
        run(_Swallowing(swallow_at=2), steps=None, time_limit=30, keep_on_interrupt=False)
    assert run(_Swallowing(swallow_at=0), steps=5).status == "completed"


def test_recording_takes_over_the_default_handler_only_and_gives_it_back():
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    hook = sys.unraisablehook
    with interrupt.recording():
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        assert sys.unraisablehook is not hook
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert sys.unraisablehook is hook

    def own(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, own)
    try:
        with interrupt.recording():
            assert signal.getsignal(signal.SIGINT) is own  # someone else's: left alone
        assert signal.getsignal(signal.SIGINT) is own
    finally:
        signal.signal(signal.SIGINT, previous)


def _llvmlite_call(seconds: float):
    """A function whose code claims to be llvmlite's, which sends itself a Ctrl-C and then runs
    Python for ``seconds``, as llvmlite's wrappers do around their calls into LLVM."""
    source = ("import os, signal, time\n"
              "def build(seconds):\n"
              "    os.kill(os.getpid(), signal.SIGINT)\n"
              "    end = time.monotonic() + seconds\n"
              "    while time.monotonic() < end:\n"
              "        pass\n"
              "    return 'built'\n")
    space = {}
    path = os.path.join(os.sep, "venv", "site-packages", "llvmlite", "binding", "ffi.py")
    exec(compile(source, path, "exec"), space)
    return space["build"](seconds)


def test_a_ctrl_c_inside_llvmlite_is_raised_as_soon_as_the_call_returns():
    """Raised inside, it would leave a half-built llvmlite object whose __del__ prints a traceback
    at exit."""
    returned, t0 = [], time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with interrupt.recording():
            returned.append(_llvmlite_call(0.3))  # not cut short halfway
            # a loop with a body: on 3.13 a KeyboardInterrupt raised while a bare loop condition
            # runs escapes pytest.raises (python/cpython#130279)
            while True:
                if time.monotonic() - t0 > 5:
                    break
    assert returned == ["built"] and time.monotonic() - t0 < 3.0  # the loop would run 5 s
    interrupt.handled()  # as the caller who caught it does


def test_a_ctrl_c_deferred_in_llvmlite_is_raised_when_the_block_ends_first(monkeypatch):
    monkeypatch.setattr(interrupt, "_RETRY_S", 30.0)
    with pytest.raises(KeyboardInterrupt):
        with interrupt.recording():
            assert _llvmlite_call(0.0) == "built"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    interrupt.handled()


@pytest.mark.parametrize("delay", [1.0, 3.0])
def test_ctrl_c_while_a_first_compare_compiles_its_kernels_stops_it(tmp_path, delay):
    """A cold numba cache: the Ctrl-C lands while the compare's warm-up run compiles kernels.
    Before, the warm-up's search kept it as its (ignored) status, or numba swallowed it, and
    the compare ran to its end with exit code 0."""
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    argv = [sys.executable, "-m", "rewriter", "compare", "--instances", "ta01", "--methods",
            "tabu:30", "--results", str(tmp_path / "r.jsonl"), "--no-progress"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    deadline = time.monotonic() + 90
    while (not glob.glob(f"{cache}/**/*.nbi", recursive=True) and proc.poll() is None
           and time.monotonic() < deadline):
        time.sleep(0.01)  # the first kernel is cached: the others are being compiled
    time.sleep(delay)
    assert proc.poll() is None, proc.communicate()[1]
    err = interrupt_process(proc)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()  # no "Exception ignored" printout of an LLVM callback
    assert len(lines) == 1 and lines[0].startswith("rewriter: interrupted"), err
