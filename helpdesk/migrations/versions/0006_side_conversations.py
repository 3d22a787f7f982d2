"""side conversations: mail with third parties about a ticket, apart from the customer's

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('side_conversation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('participants', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(), nullable=False),
    sa.Column('created_by', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_side_conversation_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_side_conversation'))
    )
    op.create_index(op.f('ix_side_conversation_ticket_id'), 'side_conversation', ['ticket_id'])
    op.create_table('side_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('side_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(), nullable=False),
    sa.Column('author', sa.String(), nullable=False),
    sa.Column('author_name', sa.String(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('to', sa.JSON(), nullable=False),
    sa.Column('mail_message_id', sa.String(), nullable=True),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['side_id'], ['side_conversation.id'], name=op.f('fk_side_message_side_id_side_conversation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_side_message'))
    )
    op.create_index(op.f('ix_side_message_side_id'), 'side_message', ['side_id'])
    op.create_index(op.f('ix_side_message_mail_message_id'), 'side_message', ['mail_message_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_side_message_mail_message_id'), table_name='side_message')
    op.drop_index(op.f('ix_side_message_side_id'), table_name='side_message')
    op.drop_table('side_message')
    op.drop_index(op.f('ix_side_conversation_ticket_id'), table_name='side_conversation')
    op.drop_table('side_conversation')
