"""insight: who solved a ticket (the assignee at the solve), backfilled from the history

`report agents` counted a solved ticket for whoever holds it now: a ticket Ann
solved and Bob was later given counted as Bob's. `ticket.resolver_id` is the
assignee when the ticket last became solved or closed (the solve `resolved_at`
stands for), worked out from the status and assignee events like the other
insight figures (services/insight/history.resolver).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 22:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket') as batch:
        batch.add_column(sa.Column('resolver_id', sa.Integer(), nullable=True))
    _backfill()  # before the index: filling it row by row would cost more
    op.create_index('ix_ticket_insight_resolver', 'ticket', ['resolved_at', 'merged_into_id', 'resolver_id'])


def _backfill() -> None:
    """Every ticket's figures worked out again from its history: only resolver_id moves."""
    from sqlmodel import Session

    from helpdesk.services.insight.columns import refresh_all

    session = Session(bind=op.get_bind())
    refresh_all(session)
    session.flush()


def downgrade() -> None:
    op.drop_index('ix_ticket_insight_resolver', table_name='ticket')
    with op.batch_alter_table('ticket') as batch:
        batch.drop_column('resolver_id')
