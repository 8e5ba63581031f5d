"""Tracery Python SDK: runs, ordered steps, retries and semantic failures as OTLP spans."""
__version__ = "0.1.0"

from ._tracer import STEP_TYPES, Run, Step, Tracer, current_step  # noqa: E402

__all__ = ["Tracer", "Run", "Step", "STEP_TYPES", "current_step", "__version__"]
