"""SQLModel tables of the helpdesk, nothing else.

Times are stored as UTC and always come back timezone-aware (see `UTCDateTime`).

Every CLI process builds these classes, so their cost is start-up time: the
annotations are objects, not strings (no `from __future__ import annotations`:
pydantic would evaluate each one), and tables build no pydantic validator
until one is used (`_Table`).
"""

from datetime import date, datetime, timezone
from typing import Any, Optional

from pydantic import ConfigDict
from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
ROLES = ("admin", "agent", "viewer")
MESSAGE_KINDS = ("reply", "note")

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zone type, so values are stored as naive UTC there."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def ts(**kw: Any) -> Any:
    """A timestamp column."""
    nullable = kw.pop("nullable", True)
    index = kw.pop("index", False)
    return Field(default=kw.pop("default", None), sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def json_col(default_factory) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


class _Table(SQLModel):
    """Base of every table: SQLModel tables are built without validation, so their
    pydantic validator is only made if something validates or dumps one."""

    model_config = ConfigDict(defer_build=True)


class Team(_Table, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    email: Optional[str] = None
    created_at: datetime = ts(nullable=False)
    routing: str = "manual"  # manual | round_robin | least_loaded
    skills_timeout: Optional[int] = None  # seconds after which a waiting ticket's skills are ignored


class Agent(_Table, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(320), nullable=False, unique=True))
    name: str
    role: str = "agent"
    team_id: Optional[int] = Field(default=None, foreign_key="team.id", index=True)
    skills: list = json_col(list)
    capacity: Optional[int] = None
    active: bool = True
    created_at: datetime = ts(nullable=False)
    away: bool = False  # takes no new routed work; keeps what they hold
    routed_turn: int = 0  # when routing last gave them a ticket (a desk-wide counter): round robin order


class Organization(_Table, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    tier: Optional[str] = Field(default=None, index=True)
    domain: Optional[str] = None
    created_at: datetime = ts(nullable=False)


class Contact(_Table, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    email: Optional[str] = Field(default=None, sa_column=Column(String(320), unique=True))
    name: str
    phone: Optional[str] = Field(default=None, index=True)
    organization_id: Optional[int] = Field(default=None, foreign_key="organization.id", index=True)
    tier: Optional[str] = None
    created_at: datetime = ts(nullable=False)


_ARRIVAL = ("agent_replies", "merged_into_id", "first_reply_seconds", "first_reply_business", "sla_reply_due_at",
            "sla_reply_met_at", "sla_resolve_due_at", "sla_resolve_met_at")
INSIGHT_CREATED = ("created_at", "channel", "priority", "team_id", "type", *_ARRIVAL, "reopens", "first_solved_at")
INSIGHT_VOLUME = ("channel", "priority", "team_id", "type", "created_at", *_ARRIVAL)  # GROUP BY without sorting
INSIGHT_RESOLVED = ("resolved_at", "merged_into_id", "agent_replies", "reopens", "resolution_seconds",
                    "resolution_business", "first_resolution_seconds", "first_resolution_business", "open_seconds",
                    "pending_seconds", "on_hold_seconds", "assignee_id")
REOPEN_WHERE = "field = 'status' AND old IN ('solved', 'closed') AND new NOT IN ('solved', 'closed')"


_TICKET_VERSION = Column("version", Integer, nullable=False, default=1)


class Ticket(_Table, table=True):
    # every UPDATE of a ticket row says `WHERE version = <the version read>`: a writer that
    # read it before another committed a change fails (StaleDataError) and Desk.write runs it
    # again, so no change is lost and no version is given twice (PostgreSQL's READ COMMITTED)
    __mapper_args__ = {"version_id_col": _TICKET_VERSION, "version_id_generator": False}
    __table_args__ = (
        Index("ix_ticket_status_updated", "status", "updated_at", "id"),
        Index("ix_ticket_status_priority_updated", "status", "priority", "updated_at", "id"),
        Index("ix_ticket_assignee_status", "assignee_id", "status", "updated_at"),
        Index("ix_ticket_team_status", "team_id", "status", "updated_at"),
        Index("ix_ticket_sla_due", "sla_due_at"),
        Index("ix_ticket_sla_check", "sla_check_at"),
        # insight (reports): each cohort read from one narrow covering index, percentiles
        # walked in index order (services/insight/reports.py)
        Index("ix_ticket_insight_created", *INSIGHT_CREATED),
        Index("ix_ticket_insight_volume", *INSIGHT_VOLUME),
        Index("ix_ticket_insight_resolved", *INSIGHT_RESOLVED),
        Index("ix_ticket_insight_resolver", "resolved_at", "merged_into_id", "resolver_id"),  # solved per agent
        Index("ix_ticket_status_created", "status", "created_at"),
        Index("ix_ticket_first_reply_at", "first_reply_at", "first_reply_agent_id", "first_reply_seconds",
              "first_reply_business"),
        Index("ix_ticket_first_reply_seconds", "first_reply_seconds", "created_at"),
        Index("ix_ticket_first_reply_business", "first_reply_business", "created_at"),
        Index("ix_ticket_resolution_seconds", "resolution_seconds", "resolved_at", "merged_into_id"),
        Index("ix_ticket_resolution_business", "resolution_business", "resolved_at", "merged_into_id"),
        # status_age: (query_sql) by status, oldest first: what every automation searches (0012)
        Index("ix_ticket_status_age", "status", text("coalesce(status_changed_at, updated_at)")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    status: str = "new"
    priority: str = "normal"
    type: Optional[str] = None
    channel: str = "api"
    requester_id: Optional[int] = Field(default=None, foreign_key="contact.id", index=True)
    organization_id: Optional[int] = Field(default=None, foreign_key="organization.id", index=True)
    assignee_id: Optional[int] = Field(default=None, foreign_key="agent.id")
    team_id: Optional[int] = Field(default=None, foreign_key="team.id")
    parent_id: Optional[int] = Field(default=None, foreign_key="ticket.id")
    merged_into_id: Optional[int] = Field(default=None, foreign_key="ticket.id")
    external_id: Optional[str] = Field(default=None, sa_column=Column(String(200), unique=True))
    fingerprint: Optional[str] = Field(default=None, index=True)
    fields: dict = json_col(dict)
    created_at: datetime = ts(nullable=False, index=True)
    updated_at: datetime = ts(nullable=False, index=True)
    first_response_at: Optional[datetime] = ts()
    solved_at: Optional[datetime] = ts()
    closed_at: Optional[datetime] = ts()
    version: int = Field(default=1, sa_column=_TICKET_VERSION)
    status_changed_at: Optional[datetime] = ts()  # status_age: in the query language (ix_ticket_status_age)
    stage: Optional[str] = Field(default=None, index=True)  # where it is in its type's process
    stage_changed_at: Optional[datetime] = ts()  # stage_age: in the query language
    approval: Optional[str] = Field(default=None, index=True)  # pending | approved | declined (its stage's)
    # SLA summary kept on the row so queues filter and sort by it through indexes.
    sla_policy: Optional[str] = None
    sla_state: Optional[str] = Field(default=None, index=True)
    sla_due_at: Optional[datetime] = ts()
    sla_check_at: Optional[datetime] = ts()
    # Insight figures, kept from the history by services/insight/columns.py on every change
    # (and by the import, JSON Lines and migration 0010), so reports are aggregate SQL.
    first_reply_at: Optional[datetime] = ts()  # first public agent reply; None for a phone log
    first_reply_agent_id: Optional[int] = None
    first_reply_seconds: Optional[int] = None  # calendar seconds created -> first reply
    first_reply_business: Optional[int] = None  # business seconds on the ticket's SLA calendar
    agent_replies: int = 0  # public agent replies (notes and automatic messages left out)
    reopens: int = 0  # solved/closed -> active status changes
    first_solved_at: Optional[datetime] = ts()
    first_resolution_seconds: Optional[int] = None
    first_resolution_business: Optional[int] = None
    resolved_at: Optional[datetime] = ts()  # the last time it became solved or closed; None while active
    resolution_seconds: Optional[int] = None  # to the last solve, while solved or closed
    resolution_business: Optional[int] = None
    open_seconds: int = 0  # time spent new/open, pending and on hold (finished stretches)
    pending_seconds: int = 0
    on_hold_seconds: int = 0
    sla_reply_due_at: Optional[datetime] = ts()  # the first_response and resolution clocks' due and met
    sla_reply_met_at: Optional[datetime] = ts()  # times, copied from sla_clock (SLA attainment)
    sla_resolve_due_at: Optional[datetime] = ts()
    sla_resolve_met_at: Optional[datetime] = ts()
    resolver_id: Optional[int] = None  # the assignee when it became solved/closed (resolved_at's solve)


class TicketTag(_Table, table=True):
    __tablename__ = "ticket_tag"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    tag: str = Field(primary_key=True, index=True)


class TicketSkill(_Table, table=True):
    """A skill an agent must hold to be routed this ticket (set by rules or types)."""

    __tablename__ = "ticket_skill"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    skill: str = Field(primary_key=True, index=True)


class TicketApprover(_Table, table=True):
    """An agent whose approval the ticket's stage waits for (`approver:me`). A team that
    approves as one voter has a row per member; the first member's vote removes them all."""

    __tablename__ = "ticket_approver"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", primary_key=True, index=True)
    voter: str  # the approver as the type names it: an agent's email or a team's name


class ApprovalVote(_Table, table=True):
    __tablename__ = "approval_vote"
    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    stage: str
    voter: str
    agent_id: int = Field(foreign_key="agent.id")
    approved: bool
    comment: Optional[str] = None
    at: datetime = ts(nullable=False)


class TicketLink(_Table, table=True):
    __tablename__ = "ticket_link"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    other_id: int = Field(foreign_key="ticket.id", primary_key=True, index=True)
    kind: str = "related"


class TicketFollower(_Table, table=True):
    """An agent told of every change to a ticket (`ticket follow`, or an @mention in a note)."""

    __tablename__ = "ticket_follower"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", primary_key=True, index=True)  # follower:me
    since: datetime = ts(nullable=False)


class Message(_Table, table=True):
    __table_args__ = (Index("ix_message_created_at", "created_at", "kind", "author_agent_id"),)  # replies by time
    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = "reply"
    author_agent_id: Optional[int] = Field(default=None, foreign_key="agent.id")
    author_contact_id: Optional[int] = Field(default=None, foreign_key="contact.id")
    author_name: Optional[str] = None
    body: str = Field(sa_column=Column(Text, nullable=False))
    channel: Optional[str] = None
    mail_message_id: Optional[str] = Field(default=None, index=True)
    headers: dict = json_col(dict)
    created_at: datetime = ts(nullable=False)


class SideConversation(_Table, table=True):
    """A conversation by mail with a third party (a warehouse, a supplier) about a ticket,
    kept apart from the customer's: never shown or mailed to the requester."""

    __tablename__ = "side_conversation"
    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    participants: list = json_col(list)  # lower-cased addresses the mail goes to
    state: str = "open"  # open | closed
    created_by: str  # the agent's email
    created_at: datetime = ts(nullable=False)
    updated_at: datetime = ts(nullable=False)


class SideMessage(_Table, table=True):
    __tablename__ = "side_message"
    id: Optional[int] = Field(default=None, primary_key=True)
    side_id: int = Field(foreign_key="side_conversation.id", index=True)
    direction: str  # out (an agent wrote) | in (mail came back)
    author: str  # an agent's email, or the sender's address
    author_name: Optional[str] = None
    body: str = Field(sa_column=Column(Text, nullable=False))
    to: list = json_col(list)  # recipients of an outgoing message
    mail_message_id: Optional[str] = Field(default=None, index=True)
    headers: dict = json_col(dict)
    created_at: datetime = ts(nullable=False)


class Attachment(_Table, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    filename: str
    content_type: str = "application/octet-stream"
    size: int = 0
    sha256: Optional[str] = None
    path: Optional[str] = None


class Event(_Table, table=True):
    """Append-only audit trail: one row per changed field."""

    __table_args__ = (  # reopens by time, for reports: a small partial index
        Index("ix_event_reopen", "at", "ticket_id", sqlite_where=text(REOPEN_WHERE),
              postgresql_where=text(REOPEN_WHERE)),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: Optional[int] = Field(default=None, foreign_key="ticket.id", index=True)
    entity: str = "ticket"
    entity_id: Optional[int] = None
    at: datetime = ts(nullable=False, index=True)
    actor: str
    field: str
    old: Optional[str] = Field(default=None, sa_column=Column(Text))
    new: Optional[str] = Field(default=None, sa_column=Column(Text))
    reason: Optional[str] = None


class Asset(_Table, table=True):
    """Equipment a customer owns; its tickets (ticket_asset) are its repair history."""

    id: Optional[int] = Field(default=None, primary_key=True)
    serial: str = Field(sa_column=Column(String(200), nullable=False, unique=True))  # as typed, trimmed
    serial_key: str = Field(sa_column=Column(String(200), nullable=False, unique=True))  # NFKC, casefolded
    model: Optional[str] = None
    contact_id: Optional[int] = Field(default=None, foreign_key="contact.id", index=True)
    organization_id: Optional[int] = Field(default=None, foreign_key="organization.id", index=True)
    purchased_on: Optional[date] = Field(default=None, sa_column=Column(Date))
    warranty_months: Optional[int] = None
    warranty_end: Optional[date] = Field(default=None, sa_column=Column(Date, index=True))  # last day covered
    status: str = Field(default="active", index=True)  # active | in_repair | retired
    notes: Optional[str] = None
    created_at: datetime = ts(nullable=False)
    updated_at: Optional[datetime] = ts()
    notice_end: Optional[date] = Field(default=None, sa_column=Column(Date))  # the warranty end a notice went out for


class TicketAsset(_Table, table=True):
    __tablename__ = "ticket_asset"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    asset_id: int = Field(foreign_key="asset.id", primary_key=True, index=True)


class CustomerNote(_Table, table=True):
    """An agent's internal note about a customer (`contact note`), on a contact or an organization."""

    __tablename__ = "customer_note"
    id: Optional[int] = Field(default=None, primary_key=True)
    contact_id: Optional[int] = Field(default=None, foreign_key="contact.id", index=True)
    organization_id: Optional[int] = Field(default=None, foreign_key="organization.id", index=True)
    agent_id: int = Field(foreign_key="agent.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = ts(nullable=False)


class SavedView(_Table, table=True):
    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("name", "agent_id", name="uq_saved_view_name_agent"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    query: str
    agent_id: Optional[int] = Field(default=None, foreign_key="agent.id")
    created_at: datetime = ts(nullable=False)


class Setting(_Table, table=True):
    """Team-wide settings (`helpdesk config`), and stored configuration such as SLA policies."""

    key: str = Field(primary_key=True)
    value: Any = Field(default=None, sa_column=Column(JSON))
    updated_at: datetime = ts(nullable=False)


class ImportFingerprint(_Table, table=True):
    """A sheet row an import already applied to a ticket, other than the latest one
    (that is `ticket.fingerprint`): a sheet that logs a ticket's changes row by row
    is not replayed over the agents' work when it is imported again."""

    __tablename__ = "import_fingerprint"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    fingerprint: str = Field(primary_key=True)


class SlaClock(_Table, table=True):
    """One SLA clock of one ticket (first_response, next_response, resolution)."""

    __tablename__ = "sla_clock"
    __table_args__ = (Index("ix_sla_clock_outcome", "ticket_id", "kind", "met_at", "due_at"),
                      Index("ix_sla_clock_kind_outcome", "kind", "met_at", "due_at"))
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    kind: str = Field(primary_key=True)
    policy: str
    target_seconds: int
    state: str
    started_at: Optional[datetime] = ts()
    due_at: Optional[datetime] = ts()
    warn_at: Optional[datetime] = ts()
    met_at: Optional[datetime] = ts()
    breached_at: Optional[datetime] = ts()
    elapsed_seconds: int = 0
    warned_at: Optional[datetime] = ts()
    breach_fired_at: Optional[datetime] = ts()


class Notification(_Table, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", index=True)
    ticket_id: Optional[int] = Field(default=None, foreign_key="ticket.id")
    kind: str
    text: str
    created_at: datetime = ts(nullable=False)
    read_at: Optional[datetime] = ts()


class Outbox(_Table, table=True):
    """Mail waiting to go out; the worker sends it with retries."""

    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: Optional[int] = Field(default=None, foreign_key="ticket.id", index=True)
    message_id: Optional[int] = Field(default=None, foreign_key="message.id")
    kind: str = "reply"
    to_addr: str
    subject: str
    mail_message_id: str = Field(index=True)
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default="queued", index=True)
    attempts: int = 0
    next_attempt_at: Optional[datetime] = ts(index=True)
    last_error: Optional[str] = None
    created_at: datetime = ts(nullable=False)
    sent_at: Optional[datetime] = ts()


class MailReceipt(_Table, table=True):
    """Every inbound mail we took, so a re-delivered message is not ingested twice
    (unique: two fetchers reading one message at once file it once, migration 0014)."""

    __tablename__ = "mail_receipt"
    id: Optional[int] = Field(default=None, primary_key=True)
    mail_message_id: Optional[str] = Field(default=None, index=True, unique=True)
    sender: Optional[str] = Field(default=None, index=True)
    received_at: datetime = ts(nullable=False, index=True)
    ticket_id: Optional[int] = Field(default=None, foreign_key="ticket.id")
    action: str
    reason: Optional[str] = None


# -- customers: portal links, rate limits, surveys and ratings (issue 14) ------------

class PortalLink(_Table, table=True):
    """A ticket's portal link generation: `portal revoke N` bumps it, and every link
    signed with an older generation stops opening (404)."""

    __tablename__ = "portal_link"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    generation: int = 0
    revoked_at: Optional[datetime] = ts()


class PortalHit(_Table, table=True):
    """One counted portal request (a lookup, a form), for rate limits kept in the database."""

    __tablename__ = "portal_hit"
    __table_args__ = (Index("ix_portal_hit_key_at", "key", "at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(200), nullable=False))  # "track-ip:1.2.3.4", "track-ticket:42"
    at: datetime = ts(nullable=False)


class Survey(_Table, table=True):
    """A satisfaction survey of a solved ticket: queued, then mailed once by the worker."""

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    status: str = Field(default="queued", index=True)  # queued | sent | skipped
    due_at: datetime = ts(nullable=False, index=True)
    sent_at: Optional[datetime] = ts()
    reason: Optional[str] = None  # why skipped


class Rating(_Table, table=True):
    """A ticket's satisfaction rating: one per ticket, the latest wins."""

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    rating: str  # good | bad
    comment: Optional[str] = Field(default=None, sa_column=Column(Text))
    nps: Optional[int] = None  # 0-10
    source: str = "portal"  # portal | mail | agent
    agent_id: Optional[int] = Field(default=None, foreign_key="agent.id", index=True)  # the assignee credited
    taken_by_id: Optional[int] = Field(default=None, foreign_key="agent.id")  # the agent who took it by phone
    contact_id: Optional[int] = Field(default=None, foreign_key="contact.id", index=True)
    rated_at: datetime = ts(nullable=False, index=True)


class Article(_Table, table=True):
    """A knowledge-base article (`helpdesk kb`): Markdown body, state draft | internal |
    published | archived. Its search index is the `kb_search` table (services/customers/kb_search)."""

    __tablename__ = "kb_article"
    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(sa_column=Column(String(300), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    category: Optional[str] = Field(default=None, index=True)
    state: str = Field(default="draft", index=True)
    author_id: Optional[int] = Field(default=None, foreign_key="agent.id")
    source_ticket_id: Optional[int] = Field(default=None, foreign_key="ticket.id")
    created_at: datetime = ts(nullable=False)
    updated_at: datetime = ts(nullable=False)
    published_at: Optional[datetime] = ts()
    version: int = 1
    use_count: int = 0
    helpful: int = 0
    not_helpful: int = 0
