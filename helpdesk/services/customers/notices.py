"""The worker's warranty notices: once per asset whose warranty ends within
`asset.notice_days` days (default 30), to the agents who know the customer.

Who is told: the assignee of the asset's most recent ticket (the agent who last
worked on it), when that agent is active and not a viewer; otherwise every
active admin. The customer is not mailed: an expiring warranty is a cue for the
desk (offer an extension, plan a replacement), not a support reply.

"Once" is decided in the database: a conditional UPDATE sets `asset.notice_end`
to the warranty end it tells about, and only the process whose UPDATE changed
the row sends the notice; two workers, or two runs, send it once. A warranty
extended later (a new end date) is noticed again when the new end comes near."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlmodel import Session

from helpdesk.models import Agent, Asset, Contact, Ticket, TicketAsset, utcnow
from helpdesk.services.core.notifications import notify
from helpdesk.services.core.settings import get_setting
from helpdesk.services.customers.assets import today
from helpdesk.services.customers.warranty import days_left

DEFAULT_DAYS = 30
BATCH = 500


def notice_days(session: Session) -> int:
    value = get_setting(session, "asset.notice_days")
    try:
        days = int(str(value).strip()) if value is not None else DEFAULT_DAYS
    except ValueError:
        return DEFAULT_DAYS
    return max(days, 0)


def send_warranty_notices(session: Session, *, now: datetime | None = None) -> dict:
    """Tell agents of every asset whose warranty ends within the notice window, once; returns counts."""
    day = today(session, now or utcnow())
    horizon = day + timedelta(days=notice_days(session))
    due = session.execute(
        select(Asset).where(Asset.warranty_end >= day, Asset.warranty_end <= horizon, Asset.status != "retired",
                            or_(Asset.notice_end.is_(None), Asset.notice_end != Asset.warranty_end))
        .order_by(Asset.warranty_end, Asset.id).limit(BATCH)).scalars().all()
    assets = notified = 0
    for asset in due:
        claimed = session.execute(
            update(Asset).where(Asset.id == asset.id, Asset.warranty_end == asset.warranty_end,
                                or_(Asset.notice_end.is_(None), Asset.notice_end != asset.warranty_end))
            .values(notice_end=asset.warranty_end)).rowcount
        if claimed != 1:
            continue  # another worker took it
        assets += 1
        ticket_id, agent_ids = _told(session, asset)
        for agent_id in agent_ids:
            notify(session, agent_id, ticket_id, "warranty", _text(session, asset, day))
            notified += 1
    return {"assets": assets, "notifications": notified}


def _told(session: Session, asset: Asset) -> tuple[int | None, list[int]]:
    """(the asset's latest ticket, the agents to tell)."""
    latest = session.execute(select(Ticket.id, Ticket.assignee_id).join(TicketAsset, TicketAsset.ticket_id == Ticket.id)
                             .where(TicketAsset.asset_id == asset.id)
                             .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1)).first()
    ticket_id = latest[0] if latest else None
    if latest and latest[1] is not None:
        agent = session.get(Agent, latest[1])
        if agent is not None and agent.active and agent.role != "viewer":
            return ticket_id, [agent.id]
    admins = session.execute(select(Agent.id).where(Agent.role == "admin", Agent.active.is_(True))
                             .order_by(Agent.id)).scalars().all()
    return ticket_id, list(admins)


def _text(session: Session, asset: Asset, day) -> str:
    owner = session.get(Contact, asset.contact_id) if asset.contact_id else None
    left = days_left(asset.warranty_end, day)
    when = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
    who = f", owner {owner.email or owner.name}" if owner else ""
    model = f" ({asset.model})" if asset.model else ""
    return f"warranty of asset {asset.serial}{model}{who} ends {asset.warranty_end.isoformat()} ({when})"
