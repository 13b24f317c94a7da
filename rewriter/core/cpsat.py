"""Running a CP-SAT model so that Ctrl-C ends the search with the best solution so far.

The solve runs in a thread with OR-Tools' own SIGINT handling off; the calling thread waits on
an event and, on KeyboardInterrupt, asks the solver to stop and waits for it.
"""

from __future__ import annotations

import threading

from ortools.sat.python import cp_model

STATUS = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible",
          cp_model.INFEASIBLE: "infeasible", cp_model.UNKNOWN: "unknown"}


def solve_interruptibly(solver: cp_model.CpSolver, model: cp_model.CpModel, callback,
                        name: str = "cpsat-solve") -> tuple[int, str]:
    """(CP-SAT status code, status name): optimal | feasible | infeasible | unknown, or
    interrupted when Ctrl-C stopped a search that had not proven optimality."""
    solver.parameters.catch_sigint_signal = False  # we stop the search ourselves
    outcome: dict = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["status"] = solver.solve(model, callback)
        except BaseException as exc:  # re-raised in the calling thread
            outcome["error"] = exc
        finally:
            done.set()

    interrupted = False
    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    # wait on an Event, not Thread.join: an interrupted join (CPython <= 3.12) marks the thread
    # as finished while it is still running
    try:
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        interrupted = True
        solver.stop_search()
        while not done.wait(0.1):
            solver.stop_search()  # again, in case the solve had not started yet
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    code = outcome["status"]
    status = STATUS.get(code)
    if status is None:  # MODEL_INVALID: a bug in the model, not in the input
        raise RuntimeError(f"CP-SAT rejected the model: {solver.status_name(code)}")
    if interrupted and status != "optimal":
        status = "interrupted"
    return code, status
