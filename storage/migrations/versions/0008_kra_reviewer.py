"""kra_reviewer: who a person named to read their KRA review pack

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 02:20:00

`/kra reviewer @someone` names a reviewer; `/kra report @person` lets that reviewer (besides the
person and workspace admins) have the person's review pack.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'kra_reviewer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.String(length=32), nullable=False),
        sa.Column('reviewer_id', sa.String(length=32), nullable=False),
        sa.Column('named_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['workspace_id'], ['workspace.id'], name=op.f('fk_kra_reviewer_workspace_id_workspace'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kra_reviewer')),
        sa.UniqueConstraint(
            'workspace_id', 'person_id', 'reviewer_id', name='uq_kra_reviewer_workspace_person'
        ),
    )
    with op.batch_alter_table('kra_reviewer', schema=None) as batch_op:
        batch_op.create_index('ix_kra_reviewer_workspace_reviewer', ['workspace_id', 'reviewer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('kra_reviewer', schema=None) as batch_op:
        batch_op.drop_index('ix_kra_reviewer_workspace_reviewer')
    op.drop_table('kra_reviewer')
