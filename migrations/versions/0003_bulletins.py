"""bulletins: bulletins, topic subscriptions, mass-send counts; delivery claim time and msgid

Revision ID: 0003_bulletins
Revises: 0002
Create Date: 2026-11-27 03:58:33.688081
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0003_bulletins'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bulletin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('topic', sa.String(length=16), nullable=False),
    sa.Column('scope_key', sa.String(length=40), nullable=False),
    sa.Column('scope_label', sa.String(length=160), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('mass', sa.Boolean(), nullable=False),
    sa.Column('cron', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('publish_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('next_run_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('last_published_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('published_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('run_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['bulletin.id'], name=op.f('fk_bulletin_parent_id_bulletin')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletin')),
    sa.UniqueConstraint('parent_id', 'run_at', name=op.f('uq_bulletin_parent_id_run_at'))
    )
    with op.batch_alter_table('bulletin', schema=None) as batch_op:
        batch_op.create_index('ix_bulletin_due', ['state', 'next_run_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulletin_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_bulletin_published', ['state', 'published_at'], unique=False)

    op.create_table('bulletin_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('topic', sa.String(length=16), nullable=False),
    sa.Column('subscribed', sa.Boolean(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletin_subscription')),
    sa.UniqueConstraint('openid', 'topic', name=op.f('uq_bulletin_subscription_openid_topic'))
    )
    op.create_table('mass_send',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('notice_key', sa.String(length=120), nullable=False),
    sa.Column('msg_id', sa.String(length=32), nullable=True),
    sa.Column('sent_at', models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mass_send'))
    )
    with op.batch_alter_table('mass_send', schema=None) as batch_op:
        batch_op.create_index('ix_mass_send_openid_sent', ['openid', 'sent_at'], unique=False)

    # The delivery table is the foundation's; these two columns are the delivery engine's.
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('msgid', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_delivery_msgid'), ['msgid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_msgid'))
        batch_op.drop_column('msgid')
        batch_op.drop_column('claimed_at')
    with op.batch_alter_table('mass_send', schema=None) as batch_op:
        batch_op.drop_index('ix_mass_send_openid_sent')
    op.drop_table('mass_send')
    op.drop_table('bulletin_subscription')
    with op.batch_alter_table('bulletin', schema=None) as batch_op:
        batch_op.drop_index('ix_bulletin_published')
        batch_op.drop_index(batch_op.f('ix_bulletin_parent_id'))
        batch_op.drop_index('ix_bulletin_due')
    op.drop_table('bulletin')
