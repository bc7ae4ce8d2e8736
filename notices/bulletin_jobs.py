"""Scheduled jobs: bulletins (being built). Register with notices.jobs.job."""
from __future__ import annotations
