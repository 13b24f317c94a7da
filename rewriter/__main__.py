"""``python -m rewriter``: the same command line as the ``rewriter`` console script."""

import sys

from .cli import main

sys.exit(main())
