"""import_fingerprint: sheet rows an import already applied to a ticket

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_fingerprint',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_import_fingerprint_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('ticket_id', 'fingerprint', name=op.f('pk_import_fingerprint'))
    )


def downgrade() -> None:
    op.drop_table('import_fingerprint')
