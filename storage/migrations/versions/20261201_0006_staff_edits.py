"""Staff's edits: a summary handed in after its deadline is marked late; a registration the ratee edited
no longer follows the monthly summaries; approved goals stay in force while a change of them is reviewed.

Revision ID: 0006_staff_edits
Revises: 0005
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_staff_edits'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('monthly_summary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_items', sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.drop_column('approved_items')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('edited')
    with op.batch_alter_table('monthly_summary', schema=None) as batch_op:
        batch_op.drop_column('late')
