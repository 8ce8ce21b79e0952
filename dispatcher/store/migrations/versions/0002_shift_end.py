"""shift end: when a driver reports the shift over

Revision ID: 0002_shift_end
Revises: 0001
Create Date: 2026-12-04 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dispatcher.store.types

revision = "0002_shift_end"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shifts") as batch:
        batch.add_column(sa.Column("ended_at", dispatcher.store.types.UTCDateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shifts") as batch:
        batch.drop_column("ended_at")
