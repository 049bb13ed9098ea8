"""The package version, a leaf module: provenance records read it without importing the package facade."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
