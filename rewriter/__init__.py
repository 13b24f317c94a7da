"""rewriter: improve schedules by learned local rewriting."""

__version__ = "0.1.0"
