"""pandas, imported only when a table is asked for as a DataFrame.

pandas comes with the core dependencies today (OR-Tools requires it), but the package itself
does not require it: the ``frames`` extra names it, and every method that returns a DataFrame
imports it here, so a missing pandas is one clear error, not a bare ModuleNotFoundError.
"""

from __future__ import annotations

MISSING = ("{what} needs pandas, which is not installed: "
           "pip install 'rewriter[frames]' (or pip install 'pandas>=2')")


def pandas(what: str):
    """The pandas module; an ImportError naming the ``frames`` extra when it is missing."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(MISSING.format(what=what)) from None
    return pd
