"""meetings

Revision ID: 0003_meetings
Revises: 0002
Create Date: 2026-11-27 03:58:18.186315
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0003_meetings'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('meeting_type', sa.String(length=16), nullable=False),
    sa.Column('starts_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('ends_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('signup_deadline', models.base.UTCDateTime(), nullable=False),
    sa.Column('scope_key', sa.String(length=32), nullable=False),
    sa.Column('scope_label', sa.String(length=160), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('reserved_until', models.base.UTCDateTime(), nullable=True),
    sa.Column('reservations_released_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('outcome_posted_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('cancelled_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting'))
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_state_starts', ['state', 'starts_at'], unique=False)

    op.create_table('meeting_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'],
                            name=op.f('fk_meeting_invitation_household_id_household')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_invitation_meeting_id_meeting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_invitation')),
    sa.UniqueConstraint('meeting_id', 'household_id', name=op.f('uq_meeting_invitation_meeting_id_household_id'))
    )
    with op.batch_alter_table('meeting_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_invitation_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('meeting_signup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('checkin_code', sa.String(length=6), nullable=False),
    sa.Column('invited', sa.Boolean(), nullable=False),
    sa.Column('checked_in_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('checked_in_by', sa.String(length=64), nullable=True),
    sa.Column('reminded_24h_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('reminded_1h_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rated_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_meeting_signup_household_id_household')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_signup_meeting_id_meeting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_signup')),
    sa.UniqueConstraint('meeting_id', 'checkin_code', name=op.f('uq_meeting_signup_meeting_id_checkin_code')),
    sa.UniqueConstraint('meeting_id', 'openid', name=op.f('uq_meeting_signup_meeting_id_openid'))
    )
    with op.batch_alter_table('meeting_signup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_signup_openid'), ['openid'], unique=False)
        batch_op.create_index('ix_meeting_signup_status', ['meeting_id', 'status', 'position'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('meeting_signup', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_signup_status')
        batch_op.drop_index(batch_op.f('ix_meeting_signup_openid'))

    op.drop_table('meeting_signup')
    with op.batch_alter_table('meeting_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_invitation_meeting_id'))

    op.drop_table('meeting_invitation')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_state_starts')

    op.drop_table('meeting')
