"""follows: people and channels following objectives; the posted digest kept true

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-04 17:05:00

`follow` holds who follows which objective (a person: its weekly movement in their reminder; a
channel: the objective joins that channel's digest). `digest_refresh` holds, per channel, the
digest posted this week, whether a later check-in made it stale, and when it was last updated in
place.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('follow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('objective_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('person', 'channel', name='follower_kind', native_enum=False, length=20), nullable=False),
    sa.Column('follower', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['objective_id'], ['objective.id'], name=op.f('fk_follow_objective_id_objective'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_follow_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow')),
    sa.UniqueConstraint('workspace_id', 'objective_id', 'follower', name='uq_follow_workspace_objective')
    )
    with op.batch_alter_table('follow', schema=None) as batch_op:
        batch_op.create_index('ix_follow_workspace_follower', ['workspace_id', 'follower'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_objective_id'), ['objective_id'], unique=False)
    op.create_table('digest_refresh',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('period', sa.String(length=32), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(), nullable=False),
    sa.Column('stale_since', sa.DateTime(), nullable=True),
    sa.Column('parts', sa.JSON(), nullable=True),
    sa.Column('gone', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_digest_refresh_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', 'channel_id', name=op.f('pk_digest_refresh'))
    )


def downgrade() -> None:
    op.drop_table('digest_refresh')
    with op.batch_alter_table('follow', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_objective_id'))
        batch_op.drop_index('ix_follow_workspace_follower')
    op.drop_table('follow')
