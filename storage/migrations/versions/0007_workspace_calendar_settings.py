"""workspace calendar settings: holiday region and the digest's default day and time

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 02:10:00

`/okr settings` sets the workspace's holiday region (a subdivision of its holiday country, as
the `holidays` package names it) and the day and time a channel's digest goes out when nobody
set the channel's own. Existing workspaces keep Friday 16:00.
"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspace") as batch:
        batch.add_column(sa.Column("holiday_subdivision", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("digest_weekday", sa.Integer(), server_default="5", nullable=False))
        batch.add_column(
            sa.Column("digest_time", sa.String(length=5), server_default="16:00", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("workspace") as batch:
        batch.drop_column("digest_time")
        batch.drop_column("digest_weekday")
        batch.drop_column("holiday_subdivision")
