"""Typed models. Importing this package registers every table on Base.metadata."""
from models import delivery, jobs, resident, sandbox, wechat  # noqa: F401
from models.base import Base

__all__ = ["Base"]
