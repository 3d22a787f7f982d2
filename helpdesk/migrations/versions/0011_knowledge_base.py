"""knowledge base: articles and their search index

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 16:40:00
"""
import sqlalchemy as sa
from alembic import op

from helpdesk.services.customers import kb_search

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kb_article',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('category', sa.String(), nullable=True),
    sa.Column('state', sa.String(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('source_ticket_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('use_count', sa.Integer(), nullable=False),
    sa.Column('helpful', sa.Integer(), nullable=False),
    sa.Column('not_helpful', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['agent.id'], name=op.f('fk_kb_article_author_id_agent')),
    sa.ForeignKeyConstraint(['source_ticket_id'], ['ticket.id'], name=op.f('fk_kb_article_source_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_article'))
    )
    op.create_index(op.f('ix_kb_article_category'), 'kb_article', ['category'])
    op.create_index(op.f('ix_kb_article_state'), 'kb_article', ['state'])
    kb_search.create_index(op.get_bind())


def downgrade() -> None:
    kb_search.drop_index(op.get_bind())
    op.drop_index(op.f('ix_kb_article_state'), table_name='kb_article')
    op.drop_index(op.f('ix_kb_article_category'), table_name='kb_article')
    op.drop_table('kb_article')
