"""person_preferences: a person's own reminder day and time, muted kinds, snooze and skip

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 17:15:00

One row per person who changed their own reminders (`/okr remind`, the reminder's *Remind me
later today* / *Tomorrow* / *Skip this week*); everyone else follows the team's schedule.
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('person_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('reminder_weekday', sa.Integer(), nullable=True),
    sa.Column('reminder_time', sa.String(length=5), nullable=True),
    sa.Column('muted', sa.String(length=100), server_default='', nullable=False),
    sa.Column('snoozed_until', sa.DateTime(), nullable=True),
    sa.Column('snoozed_period', sa.String(length=16), nullable=True),
    sa.Column('skipped_period', sa.String(length=16), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_person_preference_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_preference')),
    sa.UniqueConstraint('workspace_id', 'user_id', name='uq_person_preference_workspace_user')
    )


def downgrade() -> None:
    op.drop_table('person_preference')
