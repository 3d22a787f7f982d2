"""assets: serial key, organization, purchase date, warranty, status, notice; customer notes

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-07 16:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('asset') as batch:
        batch.add_column(sa.Column('serial_key', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('organization_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('purchased_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('warranty_months', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('status', sa.String(), nullable=False, server_default='active'))
        batch.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('notice_end', sa.Date(), nullable=True))
        batch.alter_column('warranty_end', existing_type=sa.DateTime(timezone=True), type_=sa.Date(),
                           postgresql_using='warranty_end::date')
    op.execute("UPDATE asset SET serial_key = lower(trim(serial))")
    with op.batch_alter_table('asset') as batch:
        batch.alter_column('serial_key', existing_type=sa.String(length=200), nullable=False)
        batch.create_unique_constraint(op.f('uq_asset_serial_key'), ['serial_key'])
        batch.create_foreign_key(op.f('fk_asset_organization_id_organization'), 'organization',
                                 ['organization_id'], ['id'])
        batch.create_index(op.f('ix_asset_organization_id'), ['organization_id'])
        batch.create_index(op.f('ix_asset_warranty_end'), ['warranty_end'])
        batch.create_index(op.f('ix_asset_status'), ['status'])
    op.create_table('customer_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], name=op.f('fk_customer_note_agent_id_agent')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_customer_note_contact_id_contact')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                            name=op.f('fk_customer_note_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_note'))
    )
    op.create_index(op.f('ix_customer_note_contact_id'), 'customer_note', ['contact_id'])
    op.create_index(op.f('ix_customer_note_organization_id'), 'customer_note', ['organization_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_customer_note_organization_id'), table_name='customer_note')
    op.drop_index(op.f('ix_customer_note_contact_id'), table_name='customer_note')
    op.drop_table('customer_note')
    with op.batch_alter_table('asset') as batch:
        batch.drop_index(op.f('ix_asset_status'))
        batch.drop_index(op.f('ix_asset_warranty_end'))
        batch.drop_index(op.f('ix_asset_organization_id'))
        batch.drop_constraint(op.f('fk_asset_organization_id_organization'), type_='foreignkey')
        batch.drop_constraint(op.f('uq_asset_serial_key'), type_='unique')
        batch.alter_column('warranty_end', existing_type=sa.Date(), type_=sa.DateTime(timezone=True))
        for column in ('notice_end', 'updated_at', 'status', 'warranty_months', 'purchased_on',
                       'organization_id', 'serial_key'):
            batch.drop_column(column)
