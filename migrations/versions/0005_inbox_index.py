"""inbox index: a resident's deliveries by read flag, newest first

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_delivery_inbox", "delivery", ["openid", "read", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_delivery_inbox", table_name="delivery")
