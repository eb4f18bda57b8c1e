"""scope: an organiser's region and/or event, and the name shown for them

`organiser.region` and `organiser.event_code` restrict what a scoped organiser sees and reaches
(`storage.scope.Scope`); both empty is a global organiser. `organiser.name` and `organiser.username` are how
/organisers lists them. `organiser_draft` holds an organiser's multi-step command (`/event new`) between steps.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organiser_draft",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("telegram_id"),
    )
    with op.batch_alter_table("organiser", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("event_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("username", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_organiser_region"), ["region"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("organiser", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organiser_region"))
        batch_op.drop_column("username")
        batch_op.drop_column("name")
        batch_op.drop_column("event_code")
        batch_op.drop_column("region")
    op.drop_table("organiser_draft")
