"""security: users' token version (revocation) and the failed-sign-in throttle

Revision ID: 0005_security
Revises: 0004_accounts
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import dispatcher.store.types

revision = '0005_security'
down_revision = '0004_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), server_default='0',
                                      nullable=False))
    op.create_table('auth_throttle',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', dispatcher.store.types.UTCDateTime(), nullable=True),
    sa.Column('updated_at', dispatcher.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('auth_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_throttle_updated_at'), ['updated_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('auth_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_throttle_updated_at'))
    op.drop_table('auth_throttle')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('token_version')
