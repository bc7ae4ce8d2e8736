"""The access token: one per AppId for all processes, refreshed under a lock.

WeChat allows 2000 fetches a day and a new fetch invalidates the old token after
5 minutes, so every process reads the shared row and only one refreshes it.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models.base import utcnow
from models.db import transaction
from models.wechat import AccessToken

MARGIN = timedelta(minutes=5)  # refresh this long before expiry

Fetcher = Callable[[], tuple[str, int]]  # -> (token, expires_in seconds)


class TokenStore:
    def __init__(self, factory: sessionmaker[Session], app_id: str, fetch: Fetcher,
                 clock: Callable[[], datetime] = utcnow):
        self._factory = factory
        self._app_id = app_id
        self._fetch = fetch
        self._clock = clock
        self._cached: tuple[str, datetime] | None = None

    def _fresh(self, token: str, expires_at: datetime | None) -> bool:
        return bool(token) and expires_at is not None and expires_at - self._clock() > MARGIN

    def get(self) -> str:
        if self._cached and self._fresh(*self._cached):
            return self._cached[0]
        with self._factory() as s:
            row = s.get(AccessToken, self._app_id)
            if row and self._fresh(row.token, row.expires_at):
                self._cached = (row.token, row.expires_at)  # type: ignore[assignment]
                return row.token
        return self.refresh(stale=None)

    def refresh(self, stale: str | None) -> str:
        """Fetch a new token unless another process already replaced `stale`."""
        self._ensure_row()
        self._cached = None
        with transaction(self._factory) as s:
            row = s.scalars(select(AccessToken).where(AccessToken.app_id == self._app_id)
                            .with_for_update()).one()
            if row.token != stale and self._fresh(row.token, row.expires_at):
                return row.token
            token, expires_in = self._fetch()
            now = self._clock()
            row.token, row.fetched_at = token, now
            row.expires_at = now + timedelta(seconds=expires_in)
            row.fetch_count += 1
            return token

    def _ensure_row(self) -> None:
        with self._factory() as s:
            if s.get(AccessToken, self._app_id) is not None:
                return
        try:
            with transaction(self._factory) as s:
                s.add(AccessToken(app_id=self._app_id, token=""))
        except IntegrityError:
            pass  # another process created it first
