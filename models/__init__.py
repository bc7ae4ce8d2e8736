"""Typed models. Importing this package registers every table on Base.metadata."""
from models import (  # noqa: F401
    bulletins,
    community,
    complaints,
    delivery,
    jobs,
    meetings,
    people,
    resident,
    sandbox,
    votes,
    wechat,
)
from models.base import Base

__all__ = ["Base"]
