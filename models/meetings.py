"""Models: meetings (being built)."""
from __future__ import annotations
