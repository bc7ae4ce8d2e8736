"""complaints: requests, their timeline, followers, ticket counter, hot clusters

Revision ID: 0003_complaints
Revises: 0002
Create Date: 2026-11-27 03:57:46.051494
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0003_complaints'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('complaint_counter',
    sa.Column('day', sa.String(length=8), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_complaint_counter'))
    )
    op.create_table('hot_cluster',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('notified_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], name=op.f('fk_hot_cluster_place_id_place')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_hot_cluster_community_id_community')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hot_cluster'))
    )
    with op.batch_alter_table('hot_cluster', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hot_cluster_place_id'), ['place_id'], unique=False)
    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket', sa.String(length=20), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('location', sa.JSON(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('cluster_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('reject_reason', sa.Text(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('accepted_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('resolved_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('closed_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('accept_due_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('resolve_due_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('asked_rating_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('accept_reminded_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('escalated_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff.id'], name=op.f('fk_complaint_assignee_id_staff')),
    sa.ForeignKeyConstraint(['building_id'], ['place.id'], name=op.f('fk_complaint_building_id_place')),
    sa.ForeignKeyConstraint(['cluster_id'], ['hot_cluster.id'], name=op.f('fk_complaint_cluster_id_hot_cluster')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_complaint_community_id_community')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_complaint_household_id_household')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['complaint.id'], name=op.f('fk_complaint_merged_into_id_complaint')),
    sa.ForeignKeyConstraint(['point_id'], ['place.id'], name=op.f('fk_complaint_point_id_place')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint')),
    sa.UniqueConstraint('ticket', name=op.f('uq_complaint_ticket'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_building_category', ['building_id', 'category', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_cluster_id'), ['cluster_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_openid'), ['openid'], unique=False)
        batch_op.create_index('ix_complaint_state', ['state'], unique=False)
    op.create_table('complaint_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_complaint_event_complaint_id_complaint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_event'))
    )
    with op.batch_alter_table('complaint_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_event_complaint_id'), ['complaint_id'], unique=False)
    op.create_table('complaint_follower',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_complaint_follower_complaint_id_complaint')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_complaint_follower_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_follower')),
    sa.UniqueConstraint('complaint_id', 'openid', name=op.f('uq_complaint_follower_complaint_id_openid'))
    )
    with op.batch_alter_table('complaint_follower', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_follower_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_follower_household_id'), ['household_id'], unique=False)


def downgrade() -> None:
    op.drop_table('complaint_follower')
    op.drop_table('complaint_event')
    op.drop_table('complaint')
    op.drop_table('hot_cluster')
    op.drop_table('complaint_counter')
