"""The ``fillmask-np`` command line: ``main`` dispatches to one module per command; shared options live in
``options``."""

from __future__ import annotations

from .app import main

__all__ = ["main"]
