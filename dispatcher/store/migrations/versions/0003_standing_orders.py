"""standing orders and their runs (one per order and day)

Revision ID: 0003_standing_orders
Revises: 0002_shift_end
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import dispatcher.store.types

revision = '0003_standing_orders'
down_revision = '0002_shift_end'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('standing_orders',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('service_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('rider_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('origin_stop_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('destination_stop_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('origin_lat', sa.Float(), nullable=False),
    sa.Column('origin_lon', sa.Float(), nullable=False),
    sa.Column('destination_lat', sa.Float(), nullable=False),
    sa.Column('destination_lon', sa.Float(), nullable=False),
    sa.Column('adults', sa.Integer(), nullable=False),
    sa.Column('children', sa.Integer(), nullable=False),
    sa.Column('infants', sa.Integer(), nullable=False),
    sa.Column('wheelchairs', sa.Integer(), nullable=False),
    sa.Column('concessions', sa.JSON(), nullable=False),
    sa.Column('family_member_ids', sa.JSON(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('time_s', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.JSON(), nullable=False),
    sa.Column('start_day', sa.Date(), nullable=False),
    sa.Column('end_day', sa.Date(), nullable=True),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', dispatcher.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', dispatcher.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', dispatcher.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['rider_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('standing_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standing_orders_rider_id'), ['rider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_standing_orders_active'), ['active'], unique=False)

    op.create_table('standing_order_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('rider_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('requested_at', dispatcher.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('claim', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('claimed_at', dispatcher.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('booking_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('message_ja', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('message_en', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('dismissed', sa.Boolean(), nullable=False),
    sa.Column('updated_at', dispatcher.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['standing_orders.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', 'service_day', name='uq_standing_run_day')
    )
    with op.batch_alter_table('standing_order_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standing_order_runs_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_standing_order_runs_rider_id'), ['rider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_standing_order_runs_service_day'), ['service_day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('standing_order_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standing_order_runs_service_day'))
        batch_op.drop_index(batch_op.f('ix_standing_order_runs_rider_id'))
        batch_op.drop_index(batch_op.f('ix_standing_order_runs_order_id'))
    op.drop_table('standing_order_runs')
    with op.batch_alter_table('standing_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standing_orders_active'))
        batch_op.drop_index(batch_op.f('ix_standing_orders_rider_id'))
    op.drop_table('standing_orders')
