"""collaboration: ticket followers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_follower',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], name=op.f('fk_ticket_follower_agent_id_agent')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_ticket_follower_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('ticket_id', 'agent_id', name=op.f('pk_ticket_follower'))
    )
    op.create_index(op.f('ix_ticket_follower_agent_id'), 'ticket_follower', ['agent_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_follower_agent_id'), table_name='ticket_follower')
    op.drop_table('ticket_follower')
