"""guard_rails: declared connections, who may bind, unattended steps, token expiry

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:20:00

A source binding names an operator-declared connection (and, for HTTP, a path under its origin)
instead of an environment variable and a URL of its own; a binding from before keeps its old
columns and is refused at sync time with a message naming what to declare. `/okr settings` gains
two switches, both off: owners may bind sources, and unattended workflow steps. API tokens may
expire.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('owners_may_bind_sources', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column('unattended_steps_allowed', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table('source_binding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('connection', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('path', sa.String(length=2000), nullable=True))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('source_binding', schema=None) as batch_op:
        batch_op.drop_column('path')
        batch_op.drop_column('connection')
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('unattended_steps_allowed')
        batch_op.drop_column('owners_may_bind_sources')
