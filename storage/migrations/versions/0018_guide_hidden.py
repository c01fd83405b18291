"""guide_hidden: when a person hid App Home's first-week guide

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 09:00:00

*Hide this guide* on App Home stamps the person's row of `person_preference` (one per person and
workspace); the guide then stays hidden for them in that workspace only.
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('person_preference', sa.Column('guide_hidden_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('person_preference') as batch:
        batch.drop_column('guide_hidden_at')
