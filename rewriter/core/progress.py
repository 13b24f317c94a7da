"""Progress of anything longer than a few seconds: a bar on a terminal, otherwise a one-line
record on stderr every ``interval`` seconds (and at the start and the end), so a run under nohup
or a batch scheduler shows it is alive and how far it got."""

from __future__ import annotations

import sys
import time

#: seconds between two progress lines when stderr is not a terminal
INTERVAL = 30.0


def mode_for(show: bool | None, quiet: bool = False) -> str:
    """``bar`` on a terminal, ``lines`` elsewhere, ``off`` when quiet or switched off."""
    if quiet or show is False:
        return "off"
    return "bar" if show is True or sys.stderr.isatty() else "lines"


class Progress:
    """``mode``: ``bar`` (tqdm), ``lines`` (periodic records) or ``off``; True/False mean
    bar/off (the old boolean form)."""

    def __init__(self, total: float | None, desc: str, unit: str, *, initial: int = 0,
                 mode: str | bool = "bar", interval: float = INTERVAL):
        self.mode = {True: "bar", False: "off"}.get(mode, mode)
        self.total, self.desc, self.unit, self.done = total, desc, unit, initial
        self.interval, self.info = interval, {}
        self.t0 = self.last = time.monotonic()
        self.bar = None
        if self.mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=initial, unit=unit, desc=desc, leave=False,
                            file=sys.stderr)
        elif self.mode == "lines":
            self._line(self.t0)

    def update(self, n: int = 1, **info) -> None:
        self.done += n
        self.info.update(info)
        if self.bar is not None:
            self.bar.update(n)
            if info:
                self.bar.set_postfix(**info)
        elif self.mode == "lines":
            now = time.monotonic()
            if now - self.last >= self.interval:
                self._line(now)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.mode == "lines":
            self._line(time.monotonic())
        self.mode = "off"

    def _line(self, now: float) -> None:
        self.last = now
        total = "" if self.total in (None, float("inf")) else f"/{int(self.total)}"
        share = (f" ({100.0 * self.done / self.total:.0f}%)"
                 if self.total not in (None, 0, float("inf")) else "")
        extra = "".join(f", {k} {v}" for k, v in self.info.items())
        print(f"{self.desc}: {self.done}{total} {self.unit}{share}, "
              f"{self.last - self.t0:.0f} s{extra}", file=sys.stderr, flush=True)
