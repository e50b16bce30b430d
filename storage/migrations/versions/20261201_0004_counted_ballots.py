"""Counted ballots: a submitted ballot is in the results from the computation that admits it.

Ballots already behind stored results are counted: those results were shown. Until now every
computation took every ballot submitted by then, so a ballot is behind the stored results when it was
submitted before their latest computation; one submitted later (rating reopened after a computation)
was in no result shown and waits like any new ballot.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE ballot SET counted = true WHERE status = 'submitted' AND submitted_at <= "
        "(SELECT MAX(result.computed_at) FROM result WHERE result.assessment_id = ballot.assessment_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_column('counted')
