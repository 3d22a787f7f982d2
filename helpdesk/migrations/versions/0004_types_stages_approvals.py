"""request types: ticket stage and approval, approvers waited for, approval votes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 21:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket') as batch:
        batch.add_column(sa.Column('stage', sa.String(), nullable=True))
        batch.add_column(sa.Column('stage_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('approval', sa.String(), nullable=True))
        batch.create_index('ix_ticket_stage', ['stage'])
        batch.create_index('ix_ticket_approval', ['approval'])
    op.create_table('ticket_approver',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('voter', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], name=op.f('fk_ticket_approver_agent_id_agent')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_ticket_approver_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('ticket_id', 'agent_id', name=op.f('pk_ticket_approver'))
    )
    op.create_index(op.f('ix_ticket_approver_agent_id'), 'ticket_approver', ['agent_id'])
    op.create_table('approval_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(), nullable=False),
    sa.Column('voter', sa.String(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.String(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], name=op.f('fk_approval_vote_agent_id_agent')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_approval_vote_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_vote'))
    )
    op.create_index(op.f('ix_approval_vote_ticket_id'), 'approval_vote', ['ticket_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_approval_vote_ticket_id'), table_name='approval_vote')
    op.drop_table('approval_vote')
    op.drop_index(op.f('ix_ticket_approver_agent_id'), table_name='ticket_approver')
    op.drop_table('ticket_approver')
    with op.batch_alter_table('ticket') as batch:
        batch.drop_index('ix_ticket_approval')
        batch.drop_index('ix_ticket_stage')
        batch.drop_column('approval')
        batch.drop_column('stage_changed_at')
        batch.drop_column('stage')
