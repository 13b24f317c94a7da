"""Which lower bound of a shop instance a search may stop on."""

from __future__ import annotations


class CuratedBounds:
    """For an instance with ``trivial_lower_bound()``, ``lower_bound`` and ``bounds_curated``."""

    def proven_lower_bound(self) -> int:
        """The bound a search may stop on and call optimal: the trivial one, or the bundled
        instances' published one (``bounds_curated``). A bound a file claims is only shown: if it
        were above the optimum, the search would stop at it and call that optimal."""
        curated = self.lower_bound if self.bounds_curated and self.lower_bound is not None else 0
        return max(self.trivial_lower_bound(), int(curated))
