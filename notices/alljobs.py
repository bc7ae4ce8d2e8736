"""Importing this registers every scheduled job (each family keeps its jobs in its module)."""
from notices import (  # noqa: F401
    bulletin_jobs,
    complaint_jobs,
    jobs,
    meeting_jobs,
    vote_jobs,
)
