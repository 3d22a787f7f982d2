"""tickets by status and status age: automations' searches walk an index, not the status

`status_age:` compiles to coalesce(status_changed_at, updated_at) (query_sql.py), which
the single-column index on status_changed_at cannot serve (no query used it); the
expression index on (status, that age) serves every automation's search (they all name
a status) and its oldest-first order. One ticket index for another: inserts pay the same.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 19:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_AGE = 'coalesce(status_changed_at, updated_at)'


def upgrade() -> None:
    op.drop_index('ix_ticket_status_changed_at', table_name='ticket')
    op.create_index('ix_ticket_status_age', 'ticket', ['status', sa.text(_AGE)])


def downgrade() -> None:
    op.drop_index('ix_ticket_status_age', table_name='ticket')
    op.create_index('ix_ticket_status_changed_at', 'ticket', ['status_changed_at'])
