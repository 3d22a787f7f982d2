"""workflow: team routing, agent away and turn, ticket skills, status_changed_at

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('team') as batch:
        batch.add_column(sa.Column('routing', sa.String(), nullable=False, server_default='manual'))
        batch.add_column(sa.Column('skills_timeout', sa.Integer(), nullable=True))
    with op.batch_alter_table('agent') as batch:
        batch.add_column(sa.Column('away', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('routed_turn', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('ticket') as batch:
        batch.add_column(sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_ticket_status_changed_at', ['status_changed_at'])
    # the time in the current status: the last status event, else creation
    op.execute(
        "UPDATE ticket SET status_changed_at = COALESCE("
        "(SELECT MAX(event.at) FROM event WHERE event.ticket_id = ticket.id"
        " AND event.entity = 'ticket' AND event.field = 'status'), ticket.created_at)"
    )
    op.create_table('ticket_skill',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('skill', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_ticket_skill_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('ticket_id', 'skill', name=op.f('pk_ticket_skill'))
    )
    op.create_index(op.f('ix_ticket_skill_skill'), 'ticket_skill', ['skill'])


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_skill_skill'), table_name='ticket_skill')
    op.drop_table('ticket_skill')
    with op.batch_alter_table('ticket') as batch:
        batch.drop_index('ix_ticket_status_changed_at')
        batch.drop_column('status_changed_at')
    with op.batch_alter_table('agent') as batch:
        batch.drop_column('routed_turn')
        batch.drop_column('away')
    with op.batch_alter_table('team') as batch:
        batch.drop_column('skills_timeout')
        batch.drop_column('routing')
