"""The skills a ticket needs its agent to hold (`ticket create|update --skill`, rules).

Routing gives the ticket only to an agent holding all of them, until the team's
skills timeout has passed. Skills are lower-case words, as agents' skills are."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlmodel import Session

from helpdesk.errors import Invalid
from helpdesk.models import TicketSkill

SKILL_MAX = 60


def clean_skills(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        skill = " ".join(str(value or "").split()).lower()
        if not skill:
            raise Invalid("a skill must not be empty", field="skill")
        if len(skill) > SKILL_MAX:
            raise Invalid(f"skill {skill[:20]!r}… is longer than {SKILL_MAX} characters", field="skill")
        if skill not in out:
            out.append(skill)
    return out


def skills_of(session: Session, ticket_id: int) -> list[str]:
    return sorted(session.execute(select(TicketSkill.skill).where(TicketSkill.ticket_id == ticket_id)).scalars())


def change_skills(session: Session, ticket_id: int, add: Iterable[str] = (),
                  remove: Iterable[str] = ()) -> tuple[list[str], list[str]] | None:
    """Add and remove required skills; (old, new) sorted lists, or None when nothing changed."""
    add, remove = clean_skills(add), clean_skills(remove)
    before = set(skills_of(session, ticket_id))
    after = (before | set(add)) - set(remove)
    if after == before:
        return None
    if before - after:
        session.execute(delete(TicketSkill).where(TicketSkill.ticket_id == ticket_id,
                                                  TicketSkill.skill.in_(before - after)))
    session.add_all([TicketSkill(ticket_id=ticket_id, skill=s) for s in sorted(after - before)])
    session.flush()
    return sorted(before), sorted(after)
