"""privacy: the retention warning and an invitation's intended Telegram user

`participant.retention_warned_at` records when the "your data is erased in a month unless you take part"
message was queued (RETENTION_MONTHS); `invitation.telegram_id` binds a personal invitation to the Telegram
user it was made for, when the organiser's file knew it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retention_warned_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("telegram_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("telegram_id")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("retention_warned_at")
