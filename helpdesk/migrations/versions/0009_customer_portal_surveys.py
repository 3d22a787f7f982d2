"""customer portal links, portal rate limits, surveys and ratings

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 16:40:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('portal_link',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_portal_link_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_portal_link'))
    )
    op.create_table('portal_hit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_hit'))
    )
    op.create_index('ix_portal_hit_key_at', 'portal_hit', ['key', 'at'])
    op.create_table('survey',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_survey_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_survey'))
    )
    op.create_index(op.f('ix_survey_status'), 'survey', ['status'])
    op.create_index(op.f('ix_survey_due_at'), 'survey', ['due_at'])
    op.create_table('rating',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('nps', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('taken_by_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], name=op.f('fk_rating_agent_id_agent')),
    sa.ForeignKeyConstraint(['taken_by_id'], ['agent.id'], name=op.f('fk_rating_taken_by_id_agent')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_rating_contact_id_contact')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_rating_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_rating'))
    )
    op.create_index(op.f('ix_rating_agent_id'), 'rating', ['agent_id'])
    op.create_index(op.f('ix_rating_contact_id'), 'rating', ['contact_id'])
    op.create_index(op.f('ix_rating_rated_at'), 'rating', ['rated_at'])


def downgrade() -> None:
    op.drop_table('rating')
    op.drop_table('survey')
    op.drop_index('ix_portal_hit_key_at', table_name='portal_hit')
    op.drop_table('portal_hit')
    op.drop_table('portal_link')
