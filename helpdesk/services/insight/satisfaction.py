"""CSAT, response rate and NPS: the one boundary between reports and surveys.

Surveys and ratings belong to the customers domain (services/customers/surveys.py).
For the tickets `where` selects: `surveyed` counts the surveys mailed in [start, end),
`rated`/`good` and the NPS bands the ratings given in [start, end) (the latest rating of a
ticket, whether by the portal, a mail reply or by phone). A desk that has never sent a
survey nor taken a rating gets None: the reports show `csat` and `nps` as null ("no
surveys on this desk").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, or_, select
from sqlmodel import Session

from helpdesk.models import Rating, Survey, Ticket

T = Ticket.__table__


@dataclass(frozen=True)
class Counts:
    surveyed: int
    rated: int
    good: int
    promoters: int = 0  # 9-10
    passives: int = 0  # 7-8
    detractors: int = 0  # 0-6


def counts(session: Session, where, start, end, *, by_agent: bool = False):
    """Counts for the tickets matching `where` rated in [start, end) (by agent id when
    `by_agent`: {agent_id: Counts}, credited to who held the ticket at rating time);
    None when the desk has no surveys."""
    if not session.execute(select(or_(exists(select(Survey.ticket_id)), exists(select(Rating.ticket_id))))).scalar():
        return None
    ours = select(T.c.id).where(where)
    band = lambda low, high: func.coalesce(func.sum(case((Rating.nps.between(low, high), 1), else_=0)), 0)  # noqa: E731
    tallies = (func.count(), func.coalesce(func.sum(case((Rating.rating == "good", 1), else_=0)), 0),
               band(9, 10), band(7, 8), band(0, 6))
    rated = and_(Rating.ticket_id.in_(ours), *_within(Rating.rated_at, start, end))
    sent = and_(Survey.status == "sent", Survey.ticket_id.in_(ours), *_within(Survey.sent_at, start, end))
    if not by_agent:
        n, good, pro, pas, det = session.execute(select(*tallies).where(rated)).one()
        surveyed = session.execute(select(func.count()).select_from(Survey).where(sent)).scalar()
        return Counts(surveyed, n, good, pro, pas, det)
    # credited to the agent at rating time; surveys to the ticket's assignee now
    surveyed = dict(session.execute(select(T.c.assignee_id, func.count()).select_from(Survey)
                                    .join(T, T.c.id == Survey.ticket_id).where(sent).group_by(T.c.assignee_id)).all())
    return {agent_id: Counts(surveyed.get(agent_id, 0), *row) for agent_id, *row in session.execute(
        select(Rating.agent_id, *tallies).where(rated, Rating.agent_id.is_not(None)).group_by(Rating.agent_id)).all()}


def _within(column, start, end) -> list:
    return [column >= start, column < end] if start is not None else [column < end]


def csat_json(c: Counts | None) -> dict | None:
    """`csat{rated, good, rate, response_rate}`: good over rated, rated over surveyed."""
    if c is None:
        return None
    return {"rated": c.rated, "good": c.good, "surveyed": c.surveyed,
            "rate": c.good / c.rated if c.rated else None,
            "response_rate": c.rated / c.surveyed if c.surveyed else None}


def nps(c: Counts | None) -> int | None:
    """Promoters (9-10) minus detractors (0-6), in whole points of all answers."""
    if c is None:
        return None
    answers = c.promoters + c.passives + c.detractors
    if not answers:
        return None
    return round(100 * (c.promoters - c.detractors) / answers)
