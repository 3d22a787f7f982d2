"""the audit trail is append-only: the database refuses to delete an event

Nothing in the desk deletes an event (there is no ticket or contact delete, a merge
keeps both tickets' events, there is no redaction), so the database refuses it too: an SQLite
trigger, a PostgreSQL trigger function. UPDATE stays allowed in the database because
the demo desk (`init --demo`) gives the events it has just written the story's times;
tests/permissions proves that no service updates an event.

A later revision that rebuilds the `event` table (an SQLite batch alter copies it into
a new table) must create the trigger again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 19:30:00
"""
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

MESSAGE = "the audit trail is append-only: events are never deleted"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION event_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}';
            END;
            $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER event_no_delete BEFORE DELETE ON event "
                   "FOR EACH ROW EXECUTE FUNCTION event_append_only()")
    else:
        op.execute(f"CREATE TRIGGER IF NOT EXISTS event_no_delete BEFORE DELETE ON event "
                   f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS event_no_delete ON event")
        op.execute("DROP FUNCTION IF EXISTS event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS event_no_delete")
