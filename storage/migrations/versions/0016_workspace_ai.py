"""workspace_ai: a workspace admin may switch the language model off

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 17:30:00

Ask Northline words answers with a language model only when the server's operator declared one
(NORTHLINE_AI_BASE_URL and NORTHLINE_AI_MODEL). The operator's setting is the opt-in, so the
workspace's switch starts on; an admin switches it off in `/okr settings` (docs/ai.md).
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ai_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('ai_enabled')
