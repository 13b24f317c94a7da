"""``python -m rewriter.cli``: the same command line as the ``rewriter`` console script."""

import sys

from . import main

sys.exit(main())
