"""Scheduled jobs: votes (being built). Register with notices.jobs.job."""
from __future__ import annotations
