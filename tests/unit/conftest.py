"""Fixtures shared by the unit tests: `machine`, the one fake of this machine (fake_system.py)."""

from __future__ import annotations

from .fake_system import machine

__all__ = ["machine"]
