"""workers: day versions (several workers on one database), en-route and break-taken state

Revision ID: 0006_workers
Revises: 0005_security
Create Date: 2026-12-05 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import dispatcher.store.types

revision = "0006_workers"
down_revision = "0005_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "day_versions",
        sa.Column("service_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "day"),
    )
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("en_route", sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
    with op.batch_alter_table("shifts") as batch:
        batch.add_column(sa.Column("break_taken_at",
                                   dispatcher.store.types.UTCDateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shifts") as batch:
        batch.drop_column("break_taken_at")
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("en_route")
    op.drop_table("day_versions")
