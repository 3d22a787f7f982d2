"""insight: report figures kept on the ticket row, backfilled from the history

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-07 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0005'
branch_labels = None
depends_on = None

_TIMES = ('first_reply_at', 'first_solved_at', 'resolved_at')
_NULLABLE_INTS = ('first_reply_agent_id', 'first_reply_seconds', 'first_reply_business', 'first_resolution_seconds',
                  'first_resolution_business', 'resolution_seconds', 'resolution_business')
_COUNTS = ('agent_replies', 'reopens', 'open_seconds', 'pending_seconds', 'on_hold_seconds')
_INDEXED = ('resolved_at', 'first_reply_seconds', 'first_reply_business', 'resolution_seconds', 'resolution_business')


def upgrade() -> None:
    with op.batch_alter_table('ticket') as batch:
        for name in _TIMES:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        for name in _NULLABLE_INTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))
        for name in _COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default='0'))
        for name in _INDEXED:
            batch.create_index(f'ix_ticket_{name}', [name])
    with op.batch_alter_table('message') as batch:
        batch.create_index('ix_message_created_at', ['created_at'])
    _backfill()


def _backfill() -> None:
    """Every ticket's figures worked out from its messages and status history."""
    from sqlmodel import Session

    from helpdesk.services.insight.columns import refresh_all

    session = Session(bind=op.get_bind())
    refresh_all(session)
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table('message') as batch:
        batch.drop_index('ix_message_created_at')
    with op.batch_alter_table('ticket') as batch:
        for name in _INDEXED:
            batch.drop_index(f'ix_ticket_{name}')
        for name in _TIMES + _NULLABLE_INTS + _COUNTS:
            batch.drop_column(name)
