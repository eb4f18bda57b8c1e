"""project lines: each side's own line about a started project

`introduction.project_line_a` / `project_line_b` keep what each side wrote after "project gestart? Ja!", so
the second answer no longer overwrites the first; `project_description` stays the combined text that
organisers read (stats, export).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("introduction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_line_a", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("project_line_b", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("introduction", schema=None) as batch_op:
        batch_op.drop_column("project_line_b")
        batch_op.drop_column("project_line_a")
