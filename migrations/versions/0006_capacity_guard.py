"""capacity guard: meeting.confirmed counted by triggers, held to capacity by a CHECK

Revision ID: 0006_capacity_guard
Revises: 0005

The statements are copied here (not imported from models.meetings.CAPACITY_TRIGGERS) so
this revision stays what it was when the model changes later.
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_capacity_guard"
down_revision = "0005"   # 0005_inbox_index.py
branch_labels = None
depends_on = None

CHECK = "confirmed >= 0 AND (capacity IS NULL OR confirmed <= capacity)"
NAME = "ck_meeting_capacity"
TRIGGERS = ("meeting_signup_confirmed_ins", "meeting_signup_confirmed_del",
            "meeting_signup_confirmed_upd")

SQLITE = [
    "CREATE TRIGGER meeting_signup_confirmed_ins AFTER INSERT ON meeting_signup "
    "WHEN NEW.status = 'confirmed' BEGIN "
    "UPDATE meeting SET confirmed = confirmed + 1 WHERE id = NEW.meeting_id; END",
    "CREATE TRIGGER meeting_signup_confirmed_del AFTER DELETE ON meeting_signup "
    "WHEN OLD.status = 'confirmed' BEGIN "
    "UPDATE meeting SET confirmed = confirmed - 1 WHERE id = OLD.meeting_id; END",
    "CREATE TRIGGER meeting_signup_confirmed_upd AFTER UPDATE OF status, meeting_id "
    "ON meeting_signup WHEN OLD.status IS NOT NEW.status "
    "OR OLD.meeting_id IS NOT NEW.meeting_id BEGIN "
    "UPDATE meeting SET confirmed = confirmed - 1 "
    "WHERE id = OLD.meeting_id AND OLD.status = 'confirmed'; "
    "UPDATE meeting SET confirmed = confirmed + 1 "
    "WHERE id = NEW.meeting_id AND NEW.status = 'confirmed'; END",
]
POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION meeting_signup_confirmed() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP <> 'INSERT' AND OLD.status = 'confirmed' THEN "
    "UPDATE meeting SET confirmed = confirmed - 1 WHERE id = OLD.meeting_id; END IF; "
    "IF TG_OP <> 'DELETE' AND NEW.status = 'confirmed' THEN "
    "UPDATE meeting SET confirmed = confirmed + 1 WHERE id = NEW.meeting_id; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER meeting_signup_confirmed_ins AFTER INSERT ON meeting_signup "
    "FOR EACH ROW WHEN (NEW.status = 'confirmed') "
    "EXECUTE FUNCTION meeting_signup_confirmed()",
    "CREATE TRIGGER meeting_signup_confirmed_del AFTER DELETE ON meeting_signup "
    "FOR EACH ROW WHEN (OLD.status = 'confirmed') "
    "EXECUTE FUNCTION meeting_signup_confirmed()",
    "CREATE TRIGGER meeting_signup_confirmed_upd AFTER UPDATE OF status, meeting_id "
    "ON meeting_signup FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status "
    "OR OLD.meeting_id IS DISTINCT FROM NEW.meeting_id) "
    "EXECUTE FUNCTION meeting_signup_confirmed()",
]

COUNT = ("UPDATE meeting SET confirmed = (SELECT count(*) FROM meeting_signup s "
         "WHERE s.meeting_id = meeting.id AND s.status = 'confirmed')")
OVERFULL = ("SELECT m.id, m.capacity, count(s.id) FROM meeting m JOIN meeting_signup s "
            "ON s.meeting_id = m.id AND s.status = 'confirmed' WHERE m.capacity IS NOT NULL "
            "GROUP BY m.id, m.capacity HAVING count(s.id) > m.capacity ORDER BY m.id")


def upgrade() -> None:
    bind = op.get_bind()
    over = bind.execute(sa.text(OVERFULL)).all()
    if over:
        # The check cannot hold for these rows; the operator decides (raise the capacity
        # or waitlist someone), the migration does not guess.
        listed = ", ".join(f"meeting {i}: {n} confirmed, capacity {c}" for i, c, n in over)
        raise RuntimeError(f"0006_capacity_guard: meetings already over capacity ({listed}); "
                           "fix them with `flask meeting edit ID --capacity N`, then upgrade")
    if bind.dialect.name == "sqlite":
        # SQLite cannot add a table CHECK without rebuilding the table (which the foreign
        # keys of meeting_signup forbid mid-transaction); a CHECK on the new column can
        # name other columns there and is checked on every UPDATE of the row all the same.
        op.execute(f"ALTER TABLE meeting ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 0 "
                   f"CONSTRAINT {NAME} CHECK ({CHECK})")
        op.execute(COUNT)
        statements = SQLITE
    else:
        op.add_column("meeting", sa.Column("confirmed", sa.Integer(), nullable=False,
                                           server_default="0"))
        op.execute(COUNT)
        op.create_check_constraint(op.f(NAME), "meeting", CHECK)
        statements = POSTGRESQL
    for sql in statements:
        op.execute(sql)


def downgrade() -> None:
    bind = op.get_bind()
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}"
                   + ("" if bind.dialect.name == "sqlite" else " ON meeting_signup"))
    if bind.dialect.name == "sqlite":
        # The CHECK belongs to the column, so SQLite (3.35+) drops both without a rebuild.
        op.execute("ALTER TABLE meeting DROP COLUMN confirmed")
    else:
        op.execute("DROP FUNCTION IF EXISTS meeting_signup_confirmed()")
        op.drop_constraint(op.f(NAME), "meeting", type_="check")
        op.drop_column("meeting", "confirmed")
