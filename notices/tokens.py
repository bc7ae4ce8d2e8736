"""The access token: one per AppId for all processes, refreshed under a lock.

WeChat allows 2000 fetches a day and a new fetch invalidates the old token after
5 minutes, so every process reads the shared row and only one refreshes it. Where Redis
is configured the token lives there instead (RedisTokenStore) and the row keeps the
operators' figures (when it was fetched, how often) and serves while Redis is down.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models.base import utcnow
from models.db import transaction
from models.wechat import AccessToken

log = logging.getLogger(__name__)

MARGIN = timedelta(minutes=5)  # refresh this long before expiry
# Delete the lock only while it is still ours (it may have expired and been taken over).
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

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

    def peek(self) -> tuple[str, datetime] | None:
        """The token in the row, if it is still fresh."""
        with self._factory() as s:
            row = s.get(AccessToken, self._app_id)
            if row and row.expires_at is not None and self._fresh(row.token, row.expires_at):
                return row.token, row.expires_at
        return None

    def record(self, token: str, expires_at: datetime) -> None:
        """A token fetched elsewhere (under the Redis lock): keep the row and its figures."""
        self._ensure_row()
        with transaction(self._factory) as s:
            s.execute(update(AccessToken).where(AccessToken.app_id == self._app_id).values(
                token=token, expires_at=expires_at, fetched_at=self._clock(),
                fetch_count=AccessToken.fetch_count + 1))

    def _ensure_row(self) -> None:
        with self._factory() as s:
            if s.get(AccessToken, self._app_id) is not None:
                return
        try:
            with transaction(self._factory) as s:
                s.add(AccessToken(app_id=self._app_id, token=""))
        except IntegrityError:
            pass  # another process created it first


class RedisTokenStore:
    """The token in Redis, one key per AppId that expires with it, refreshed under a Redis
    lock (SET NX PX with an owner value, released by compare-and-delete); processes that
    find the lock taken poll for the new token instead of fetching one of their own."""

    POLL = 0.05

    def __init__(self, client: Any, prefix: str, db: TokenStore, lock_seconds: float = 10.0):
        from redis.exceptions import RedisError  # only when Redis is configured: ≈0.2 s import

        self._client = client
        self._key = f"{prefix}token:{db._app_id}"
        self._lock_key = f"{prefix}token-lock:{db._app_id}"
        self._lock_ms = int(lock_seconds * 1000)
        self._errors: type[Exception] = RedisError
        self.db = db
        self._cached: tuple[str, datetime] | None = None

    def get(self) -> str:
        if self._cached and self.db._fresh(*self._cached):
            return self._cached[0]
        try:
            current = self._read()
            if current is not None and self.db._fresh(*current):
                self._cached = current
                return current[0]
            return self._refresh(stale=None)
        except self._errors as exc:
            log.warning("Redis unavailable for the access token (%s); using the database",
                        type(exc).__name__)
            return self.db.get()

    def refresh(self, stale: str | None) -> str:
        """Fetch a new token unless another process already replaced `stale`."""
        self._cached = None
        try:
            return self._refresh(stale)
        except self._errors as exc:
            log.warning("Redis unavailable for the access token (%s); using the database",
                        type(exc).__name__)
            return self.db.refresh(stale)

    def _read(self) -> tuple[str, datetime] | None:
        raw = self._client.get(self._key)
        if raw is None:
            return None
        value = json.loads(raw)
        return value["token"], datetime.fromisoformat(value["expires_at"])

    def _usable(self, current: tuple[str, datetime] | None, stale: str | None) -> bool:
        return current is not None and current[0] != stale and self.db._fresh(*current)

    def _refresh(self, stale: str | None) -> str:
        owner = uuid.uuid4().hex
        # Past this, whoever holds the lock is stuck beyond its own expiry: use the row.
        give_up = time.monotonic() + 2 * self._lock_ms / 1000
        while True:
            current = self._read()
            if self._usable(current, stale):
                assert current is not None
                self._cached = current
                return current[0]
            if self._client.set(self._lock_key, owner, nx=True, px=self._lock_ms):
                try:
                    return self._fetch_locked(stale)
                finally:
                    self._release(owner)
            if time.monotonic() > give_up:
                log.warning("the access token lock in Redis was held too long; using the database")
                return self.db.refresh(stale)
            time.sleep(self.POLL)

    def _fetch_locked(self, stale: str | None) -> str:
        current = self._read()
        if not self._usable(current, stale):
            # A fresh token in the row (fetched while Redis was down, or before a Redis
            # restart) is still good: another fetch would only shorten its life elsewhere.
            current = self.db.peek()
            if not self._usable(current, stale):
                token, expires_in = self.db._fetch()
                current = (token, self.db._clock() + timedelta(seconds=expires_in))
                # The row first: should Redis fail now, the database path finds this token
                # there instead of fetching yet another.
                self.db.record(*current)
            self._store(*current)
        assert current is not None
        self._cached = current
        return current[0]

    def _release(self, owner: str) -> None:
        try:
            self._client.eval(RELEASE, 1, self._lock_key, owner)
        except self._errors as exc:  # the lock expires on its own; the token is what matters
            log.warning("could not release the access token lock in Redis (%s)", type(exc).__name__)

    def _store(self, token: str, expires_at: datetime) -> None:
        life_ms = int((expires_at - self.db._clock()).total_seconds() * 1000)
        value = json.dumps({"token": token, "expires_at": expires_at.isoformat()})
        self._client.set(self._key, value, px=max(life_ms, 1))
