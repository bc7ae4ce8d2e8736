"""resident account: the Official Account a resident writes through (NULL = the
deployment's own), and the account of each message the sandbox's stand-in recorded

Revision ID: 0007_resident_account
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_resident_account"
down_revision = "0005"   # 0005_inbox_index.py (its revision id is "0005")
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: every existing resident stays on the deployment's account.
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("app_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("sandbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("app_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sandbox_message", schema=None) as batch_op:
        batch_op.drop_column("app_id")
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.drop_column("app_id")
