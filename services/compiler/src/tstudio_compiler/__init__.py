"""The compiler service: renders timelines to video."""

__version__ = "0.1.0"
