"""Models: votes (being built)."""
from __future__ import annotations
