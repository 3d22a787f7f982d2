"""CSAT, response rate and NPS: the one boundary between reports and surveys.

Surveys (satisfaction ratings) belong to the customers domain. Until this desk
has a survey table, `counts` returns None and the reports show `csat` and `nps`
as null ("no surveys on this desk"). Wiring: count, for the tickets `where`
selects and the ratings given in [start, end), the surveys sent (`surveyed`),
the ratings (`rated`), the good ones (`good`), and NPS answers by band.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session


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
    return None


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
