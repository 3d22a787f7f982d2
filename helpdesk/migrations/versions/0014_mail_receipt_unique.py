"""one receipt per Message-ID: two fetchers never file the same mail twice

Every app on a shared PostgreSQL desk runs the mail-fetch job; two of them can read
the same unseen message at once, and each transaction's "seen it?" look found nothing
the other had not yet committed, so both filed it (two tickets for one mail). A unique
index makes the second fetcher's receipt (claimed before anything is filed,
`mail.intake._claim`) wait for the first one's commit and then fail, so the message
is a "duplicate", as a re-delivery always was.

A desk that already holds receipts sharing a Message-ID (filed twice by that race)
keeps every row: the later ones keep their Message-ID in `reason` and leave the
column empty (messages without a Message-ID are not compared).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 22:30:00
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_LATER = """
    SELECT r.id FROM mail_receipt AS r
    WHERE r.mail_message_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM mail_receipt AS first
                  WHERE first.mail_message_id = r.mail_message_id AND first.id < r.id)"""


def upgrade() -> None:
    op.execute(f"""
        UPDATE mail_receipt
        SET reason = trim(coalesce(reason, '') || ' (filed again by a concurrent fetch; Message-ID '
                          || mail_message_id || ')'),
            mail_message_id = NULL
        WHERE id IN ({_LATER})""")
    op.drop_index('ix_mail_receipt_mail_message_id', table_name='mail_receipt')
    op.create_index('ix_mail_receipt_mail_message_id', 'mail_receipt', ['mail_message_id'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_mail_receipt_mail_message_id', table_name='mail_receipt')
    op.create_index('ix_mail_receipt_mail_message_id', 'mail_receipt', ['mail_message_id'])
