"""Trace output: strace-style lines (strace.py) and filters (filters.py)."""
from .strace import Tracer

__all__ = ["Tracer"]
