"""What every problem and every method stands on, and nothing problem- or learner-specific: the
problem spec and the result, the one search loop, Ctrl-C, progress, portfolios of searches, the
rewrite interface a problem implements for the learners (:mod:`rewriter.core.problem`), charts
and the CP-SAT runner. Imports no numba and no torch."""
