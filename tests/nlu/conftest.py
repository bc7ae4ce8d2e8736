"""One warmed NLU for the whole NLU test session (jieba loads once, ≈0.7 s)."""

from __future__ import annotations

import pytest

from bot.nlu import NLU


@pytest.fixture(scope="session")
def nlu() -> NLU:
    engine = NLU()
    engine.warm()
    return engine
