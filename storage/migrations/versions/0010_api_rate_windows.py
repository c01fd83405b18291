"""api_rate_windows: sliding-window rate limits per token, per workspace and per failing address

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:40:00

The API's rate limits move from a fixed minute counted on each token's row to one row per limit
(token, workspace, client address failing to authenticate) holding this window's count and the
previous one's, from which a sliding window is estimated. The token's own counters go.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_rate_window',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('previous', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('window_count')
        batch_op.drop_column('window_start')


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_start', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('window_count', sa.Integer(), server_default='0', nullable=False))
    op.drop_table('api_rate_window')
