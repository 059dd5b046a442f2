"""Explanations of a decision (CRPA art. R311-3-1-2) and their renderings."""

from orientation.explication.construction import Explication, explain

__all__ = ["Explication", "explain"]
