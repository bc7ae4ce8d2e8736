"""one line of history: requests, votes, meetings, bulletins

Revision ID: 0004
Revises: 0003_bulletins, 0003_complaints, 0003_meetings, 0003_votes
Create Date: 2026-11-27 04:53:29.609603
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0004'
down_revision = ('0003_bulletins', '0003_complaints', '0003_meetings', '0003_votes')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
