"""merge the capacity and account branches; index requests by community

Console queues and stats of one community among many filter complaint.community_id and
order by created_at: an index keeps them off a full scan as the district grows.

Revision ID: 0008
Revises: 0006_capacity_guard, 0007_resident_account
"""
from alembic import op

revision = "0008"
down_revision = ("0006_capacity_guard", "0007_resident_account")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_complaint_community_created", "complaint", ["community_id", "created_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_complaint_community_created", table_name="complaint")
