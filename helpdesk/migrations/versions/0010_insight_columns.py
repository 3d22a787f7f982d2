"""insight: report figures kept on the ticket row, backfilled from the history

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_TIMES = ('first_reply_at', 'first_solved_at', 'resolved_at', 'sla_reply_due_at', 'sla_reply_met_at',
          'sla_resolve_due_at', 'sla_resolve_met_at')
_ARRIVAL = ['agent_replies', 'merged_into_id', 'first_reply_seconds', 'first_reply_business', 'sla_reply_due_at',
            'sla_reply_met_at', 'sla_resolve_due_at', 'sla_resolve_met_at']
_NULLABLE_INTS = ('first_reply_agent_id', 'first_reply_seconds', 'first_reply_business', 'first_resolution_seconds',
                  'first_resolution_business', 'resolution_seconds', 'resolution_business')
_COUNTS = ('agent_replies', 'reopens', 'open_seconds', 'pending_seconds', 'on_hold_seconds')
# the indexes as models.py names them (copied: a revision never changes with the models)
_INDEXES = {
    'ix_ticket_insight_created': ['created_at', 'channel', 'priority', 'team_id', 'type', *_ARRIVAL, 'reopens',
                                  'first_solved_at'],
    'ix_ticket_insight_volume': ['channel', 'priority', 'team_id', 'type', 'created_at', *_ARRIVAL],
    'ix_ticket_insight_resolved': ['resolved_at', 'merged_into_id', 'agent_replies', 'reopens', 'resolution_seconds',
                                   'resolution_business', 'first_resolution_seconds', 'first_resolution_business',
                                   'open_seconds', 'pending_seconds', 'on_hold_seconds', 'assignee_id'],
    'ix_ticket_status_created': ['status', 'created_at'],
    'ix_ticket_first_reply_at': ['first_reply_at', 'first_reply_agent_id', 'first_reply_seconds',
                                 'first_reply_business'],
    'ix_ticket_first_reply_seconds': ['first_reply_seconds', 'created_at'],
    'ix_ticket_first_reply_business': ['first_reply_business', 'created_at'],
    'ix_ticket_resolution_seconds': ['resolution_seconds', 'resolved_at', 'merged_into_id'],
    'ix_ticket_resolution_business': ['resolution_business', 'resolved_at', 'merged_into_id'],
}
_REOPEN_WHERE = "field = 'status' AND old IN ('solved', 'closed') AND new NOT IN ('solved', 'closed')"


def upgrade() -> None:
    with op.batch_alter_table('ticket') as batch:
        for name in _TIMES:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        for name in _NULLABLE_INTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))
        for name in _COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('message') as batch:
        batch.create_index('ix_message_created_at', ['created_at', 'kind', 'author_agent_id'])
    op.create_index('ix_event_reopen', 'event', ['at', 'ticket_id'], sqlite_where=sa.text(_REOPEN_WHERE),
                    postgresql_where=sa.text(_REOPEN_WHERE))
    op.create_index('ix_sla_clock_outcome', 'sla_clock', ['ticket_id', 'kind', 'met_at', 'due_at'])
    op.create_index('ix_sla_clock_kind_outcome', 'sla_clock', ['kind', 'met_at', 'due_at'])
    _backfill()  # before the ticket indexes: filling them row by row would cost more
    for name, columns in _INDEXES.items():
        op.create_index(name, 'ticket', columns)


def _backfill() -> None:
    """Every ticket's figures worked out from its messages and status history."""
    from sqlmodel import Session

    from helpdesk.services.insight.columns import refresh_all

    session = Session(bind=op.get_bind())
    refresh_all(session)
    session.flush()


def downgrade() -> None:
    op.drop_index('ix_sla_clock_kind_outcome', table_name='sla_clock')
    op.drop_index('ix_sla_clock_outcome', table_name='sla_clock')
    op.drop_index('ix_event_reopen', table_name='event')
    with op.batch_alter_table('message') as batch:
        batch.drop_index('ix_message_created_at')
    for name in _INDEXES:
        op.drop_index(name, table_name='ticket')
    with op.batch_alter_table('ticket') as batch:
        for name in _TIMES + _NULLABLE_INTS + _COUNTS:
            batch.drop_column(name)
