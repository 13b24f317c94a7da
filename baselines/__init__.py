"""The non-learned methods the rewriter is measured against: local search (tabu, descent, random
walk) and OR-Tools CP-SAT models. Installed as ``rewriter.baselines``; the dispatching rules and
heuristics that build a problem's initial schedule live with the problem."""
