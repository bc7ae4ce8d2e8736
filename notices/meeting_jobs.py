"""Scheduled jobs: meetings (being built). Register with notices.jobs.job."""
from __future__ import annotations
