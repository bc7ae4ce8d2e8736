"""Chinese NLU for Linli: message text → intent, slots and confidence.

Importing this package loads nothing heavy; `get_nlu().warm()` loads jieba once.
"""

from .engine import NLU, get_nlu
from .understanding import CATEGORIES, CHOICES, INTENTS, STAFF_INTENTS, TOPICS, Understanding

__all__ = ["CATEGORIES", "CHOICES", "INTENTS", "NLU", "STAFF_INTENTS", "TOPICS", "Understanding", "get_nlu"]
