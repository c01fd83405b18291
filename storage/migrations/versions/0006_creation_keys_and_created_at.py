"""creation keys on kra and objective; created_at on kpi and key_result

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 02:00:00

Slack may deliver one New KRA / New objective submission twice: `creation_key` ("view:<view id>"),
unique per workspace, lets the second find the first. KPIs and key results get the `created_at`
the export shows; existing rows take their KRA's / objective's, the best date known for them.
"""

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kra", schema=None) as batch_op:
        batch_op.add_column(sa.Column("creation_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint("uq_kra_workspace_creation_key", ["workspace_id", "creation_key"])
    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.add_column(sa.Column("creation_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            "uq_objective_workspace_creation_key", ["workspace_id", "creation_key"]
        )
    with op.batch_alter_table("kpi", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("key_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE kpi SET created_at = (SELECT kra.created_at FROM kra WHERE kra.id = kpi.kra_id)")
    op.execute(
        "UPDATE key_result SET created_at = "
        "(SELECT objective.created_at FROM objective WHERE objective.id = key_result.objective_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("key_result", schema=None) as batch_op:
        batch_op.drop_column("created_at")
    with op.batch_alter_table("kpi", schema=None) as batch_op:
        batch_op.drop_column("created_at")
    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.drop_constraint("uq_objective_workspace_creation_key", type_="unique")
        batch_op.drop_column("creation_key")
    with op.batch_alter_table("kra", schema=None) as batch_op:
        batch_op.drop_constraint("uq_kra_workspace_creation_key", type_="unique")
        batch_op.drop_column("creation_key")
