"""autolog: one line, and every training call becomes a run."""

__version__ = "0.1.0"
