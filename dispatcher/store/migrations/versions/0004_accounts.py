"""staff accounts: a disabled flag; the seeded operator account becomes a supervisor

Revision ID: 0004_accounts
Revises: 0003_standing_orders
Create Date: 2027-01-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_accounts"
down_revision = "0003_standing_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("disabled", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    # The account seeded from the settings is the one that creates the others.
    op.execute("UPDATE users SET role = 'supervisor' WHERE id = 'operator' AND role = 'operator'")


def downgrade() -> None:
    op.execute("UPDATE users SET role = 'operator' WHERE role = 'supervisor'")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled")
