"""The statements every message runs, on the driver's own connection.

Each message reads its resident and dialog, may write the dialog, and records itself:
SQLAlchemy Core spends about 40 µs on top of the driver's 5–10 µs for each such
statement, the ORM several times that (bench/breakdown.py), on every message. So these
few are plain SQL prepared once per dialect, run on the session's own DB-API connection
inside the session's transaction, with the conversions their column types need (aware
UTC datetimes stored naive, JSON, booleans) done here the way SQLAlchemy stores them.
Driver errors come out as SQLAlchemy's (IntegrityError, OperationalError …), as from
any other statement. Everything else goes through the ORM.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, exc
from sqlalchemy.orm import Session, make_transient_to_detached

from models.base import UTCDateTime
from models.resident import Resident
from models.wechat import DialogState, InboundMessage

_RESIDENT_COLUMNS: list[Column[Any]] = list(Resident.__table__.columns)
_RESIDENT_KEYS = [Resident.__mapper__.get_property_by_column(c).key for c in _RESIDENT_COLUMNS]
_DIALOG = DialogState.__table__.name
_INBOUND = InboundMessage.__table__.name
# A stored dialog as read: (state, data, expires_at); None when the resident has none.
Stored = tuple[str, dict[str, Any] | None, datetime] | None


class FastPath:
    """The hot statements for one engine's dialect."""

    def __init__(self, dialect_name: str):
        self.sqlite = dialect_name == "sqlite"
        if self.sqlite:
            import sqlite3
            self.errors: type[Exception] = sqlite3.Error
            self._json_wrap: Callable[[Any], Any] = json.dumps
        else:
            import psycopg
            from psycopg.types.json import Json
            self.errors = psycopg.Error
            self._json_wrap = Json
        self._readers = [self._reader(c) for c in _RESIDENT_COLUMNS]
        cols = ", ".join(f"r.{c.name}" for c in _RESIDENT_COLUMNS)
        self.sql_load = self._sql(
            f"SELECT {cols}, d.state, d.data, d.expires_at FROM resident r "
            f"LEFT JOIN {_DIALOG} d ON d.openid = r.openid WHERE r.openid = ?")
        self.sql_dialog = self._sql(f"SELECT state, data, expires_at FROM {_DIALOG} WHERE openid = ?")
        self.sql_dialog_delete = self._sql(f"DELETE FROM {_DIALOG} WHERE openid = ?")
        self.sql_dialog_update = self._sql(
            f"UPDATE {_DIALOG} SET state = ?, data = ?, expires_at = ? WHERE openid = ?")
        self.sql_dialog_extend = self._sql(f"UPDATE {_DIALOG} SET expires_at = ? WHERE openid = ?")
        self.sql_dialog_insert = self._sql(
            f"INSERT INTO {_DIALOG} (state, data, expires_at, openid) VALUES (?, ?, ?, ?)")
        self.sql_record = self._sql(
            f"INSERT INTO {_INBOUND} (dedup_key, openid, msg_type, intent, reply, deferred, "
            "received_at) VALUES (?, ?, ?, ?, ?, ?, ?)")

    def _sql(self, text: str) -> str:
        return text if self.sqlite else text.replace("?", "%s")

    # Conversions ---------------------------------------------------------------------------
    def time_in(self, value: datetime) -> Any:
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else naive

    @staticmethod
    def time_out(value: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]

    def json_in(self, value: Any) -> Any:
        return self._json_wrap(value)

    def json_out(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str | bytes) and self.sqlite else value

    def _reader(self, column: Column[Any]) -> Callable[[Any], Any] | None:
        if isinstance(column.type, UTCDateTime):
            return self.time_out
        if isinstance(column.type, Boolean):
            return lambda v: None if v is None else bool(v)
        if isinstance(column.type, JSON):
            return self.json_out
        return None

    # Running them --------------------------------------------------------------------------
    def run(self, session: Session, sql: str, params: Sequence[Any]) -> Any:
        """Execute on the session's connection (its transaction); rows as the driver gives them."""
        conn = session.connection()
        try:
            return conn.connection.driver_connection.execute(sql, params)  # type: ignore[union-attr]
        except self.errors as err:
            # As SQLAlchemy does for its own statements: a connection the server dropped is
            # invalidated (the pool replaces it), and the error says so.
            gone = conn.dialect.is_disconnect(err, conn.connection.dbapi_connection, None)
            if gone:
                conn.invalidate(err)
            raise exc.DBAPIError.instance(sql, params, err, self.errors,
                                          connection_invalidated=gone) from err

    def load(self, session: Session, openid: str) -> tuple[dict[str, Any] | None, Stored]:
        """The resident's column values by attribute (None: no resident yet) and their
        stored dialog (None: none; for a new openid it is read on its own)."""
        row = self.run(session, self.sql_load, (openid,)).fetchone()
        if row is None:
            return None, self.dialog(session, openid)
        n = len(_RESIDENT_COLUMNS)
        values = {key: (raw if read is None else read(raw))
                  for key, read, raw in zip(_RESIDENT_KEYS, self._readers, row[:n], strict=True)}
        state, data, expires_at = row[n:]
        if state is None:
            return values, None
        return values, (state, self.json_out(data), self.time_out(expires_at))  # type: ignore[return-value]

    def dialog(self, session: Session, openid: str) -> Stored:
        row = self.run(session, self.sql_dialog, (openid,)).fetchone()
        if row is None:
            return None
        return row[0], self.json_out(row[1]), self.time_out(row[2])  # type: ignore[return-value]

    def resident(self, session: Session, values: dict[str, Any]) -> Resident:
        """The ORM object for a row already read, persistent in `session` without a query
        (as the ORM's own loader builds one); its changes flush as usual."""
        resident: Resident = Resident.__mapper__.class_manager.new_instance()
        resident.__dict__.update(values)
        make_transient_to_detached(resident)
        session.add(resident)
        return resident

    def record(self, session: Session, *, dedup_key: str, openid: str, msg_type: str,
               intent: str | None, reply: dict[str, Any] | None, received_at: datetime) -> None:
        self.run(session, self.sql_record, (dedup_key, openid, msg_type, intent,
                                            self.json_in(reply), False, self.time_in(received_at)))


_BY_DIALECT: dict[str, FastPath] = {}


def for_session(session: Session) -> FastPath:
    name = session.get_bind().dialect.name
    fast = _BY_DIALECT.get(name)
    if fast is None:
        fast = _BY_DIALECT[name] = FastPath(name)
    return fast
