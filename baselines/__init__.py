"""Baseline schedulers the learned rewriter is compared against (dispatching rules, ...)."""
