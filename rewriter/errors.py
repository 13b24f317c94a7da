"""The one exception type for bad input: the CLI turns it into a single clear line and exit code 2."""


class InputError(ValueError):
    """Bad user input: a malformed instance file, an unknown name, a bad option.

    The message names the file (and line, where there is one) and says what was expected.
    """

    def __init__(self, message: str, *, path=None, line: int | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.reason = message
        where = ""
        if self.path is not None:
            where = self.path + (f", line {line}" if line is not None else "") + ": "
        super().__init__(where + message)


class ContradictedBound(InputError):
    """An instance's lower bound above the makespan of a schedule found for it: the bound a file
    claims is false (:func:`check_lower_bound`). The command line names the file."""


def check_lower_bound(instance, makespan, what: str) -> None:
    """Raise :class:`ContradictedBound` when ``instance.lower_bound`` exceeds ``makespan``, the
    makespan of a feasible schedule (``what``)."""
    lower = getattr(instance, "lower_bound", None)
    if lower is not None and makespan < lower:
        raise ContradictedBound(f"lower_bound {lower} exceeds the makespan {makespan} of a "
                                f"feasible schedule ({what}); it is no lower bound of "
                                f"{instance.name}")


class NoSchedule(InputError):
    """A solver found no schedule within its budget (CP-SAT stopped before its first one).

    For ``rewriter solve`` it is the time limit that is too short, so it reads as bad input (one
    line, exit code 2). ``rewriter compare`` records the cell as ``no_schedule`` instead of
    stopping: its tables show "-" for it and for the group means it would enter."""


class NotApplicable(InputError):
    """A method cannot take this instance (a policy observing fixed (jobs, machines) matrices on
    a re-entrant job shop). For ``rewriter solve`` it reads as bad input (one line, exit code
    2); ``rewriter compare`` records the cell as ``refused`` with the reason and goes on, as it
    does a solver's ``no_schedule``."""


def is_interrupt(exc: BaseException) -> bool:
    """Is ``exc`` a Ctrl-C? A SIGINT that arrives while a numba kernel returns its result comes
    out as ``SystemError: ... returned a result with an exception set``, caused by the
    KeyboardInterrupt."""
    return isinstance(exc, KeyboardInterrupt) or (
        isinstance(exc, SystemError)
        and isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt))
