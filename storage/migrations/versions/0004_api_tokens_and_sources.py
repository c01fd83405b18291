"""API tokens, idempotency keys, data source bindings, and where a value came from

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('permission', sa.Enum('read', 'write', name='token_permission', native_enum=False, length=20), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=32), nullable=True),
    sa.Column('window_start', sa.DateTime(), nullable=True),
    sa.Column('window_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_api_token_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index('uq_api_token_live_name', ['workspace_id', 'name'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))

    op.create_table('api_idempotency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['token_id'], ['api_token.id'], name=op.f('fk_api_idempotency_token_id_api_token'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_api_idempotency_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotency')),
    sa.UniqueConstraint('token_id', 'key', name='uq_api_idempotency_token_key')
    )

    op.create_table('source_binding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('key_result_id', sa.Integer(), nullable=True),
    sa.Column('kpi_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('sql', 'http', name='source_kind', native_enum=False, length=20), nullable=False),
    sa.Column('env', sa.String(length=100), nullable=True),
    sa.Column('query', sa.Text(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('pointer', sa.String(length=500), nullable=True),
    sa.Column('header', sa.String(length=100), nullable=True),
    sa.Column('every_minutes', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.Column('last_value', sa.Float(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('failing_since', sa.DateTime(), nullable=True),
    sa.Column('failure_notified_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['key_result_id'], ['key_result.id'], name=op.f('fk_source_binding_key_result_id_key_result'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpi.id'], name=op.f('fk_source_binding_kpi_id_kpi'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_source_binding_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_binding')),
    sa.UniqueConstraint('key_result_id', name=op.f('uq_source_binding_key_result_id')),
    sa.UniqueConstraint('kpi_id', name=op.f('uq_source_binding_kpi_id'))
    )
    with op.batch_alter_table('source_binding', schema=None) as batch_op:
        batch_op.create_index('ix_source_binding_workspace', ['workspace_id'], unique=False)

    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=160), nullable=True))
    with op.batch_alter_table('kpi_measurement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=160), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('kpi_measurement', schema=None) as batch_op:
        batch_op.drop_column('origin')
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_column('origin')
    with op.batch_alter_table('source_binding', schema=None) as batch_op:
        batch_op.drop_index('ix_source_binding_workspace')
    op.drop_table('source_binding')
    op.drop_table('api_idempotency')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index('uq_api_token_live_name', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
    op.drop_table('api_token')
