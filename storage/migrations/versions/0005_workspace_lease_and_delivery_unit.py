"""workspace leases and delivery units, for delivery on several workers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 01:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('workspace_lease',
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_workspace_lease'))
    )
    op.create_table('delivery_unit',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_unit'))
    )


def downgrade() -> None:
    op.drop_table('delivery_unit')
    op.drop_table('workspace_lease')
