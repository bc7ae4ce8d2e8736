"""Models: complaints (being built)."""
from __future__ import annotations
