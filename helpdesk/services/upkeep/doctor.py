"""`helpdesk doctor`: every check of `checks.py` over one desk, and the one repair it offers.

The desk is opened without migrating it (a doctor looks before it touches). A check that
cannot run (a table an old revision lacks, a damaged file) is reported as a problem
naming the error, and the other checks still run. Healthy means no check found a problem.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from helpdesk.db import Desk, current_revision
from helpdesk.models import utcnow
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.audit import record
from helpdesk.services.upkeep import checks
from helpdesk.services.upkeep.checks import Check


@dataclass
class Report:
    url: str
    backend: str
    checks: list[Check]

    @property
    def healthy(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def to_dict(self) -> dict:
        return {"database": self.url, "backend": self.backend, "healthy": self.healthy,
                "problems": len(self.problems), "checks": [c.to_dict() for c in self.checks]}


def examine(desk: Desk, now: datetime | None = None) -> Report:
    """Run every check (read only) and report."""
    from helpdesk.migrations import HEAD

    now = now or utcnow()
    revision = current_revision(desk)
    found = [checks.schema(revision, HEAD)]
    readers: list[tuple[str, Callable[[Session], Check]]] = [
        ("integrity", checks.integrity),
        ("foreign_keys", checks.foreign_keys),
        ("search", checks.search_index),
        ("sla", lambda s: checks.sla_unswept(s, now)),
        ("outbox", lambda s: checks.outbox(s, now)),
        ("worker", lambda s: checks.worker(s, now)),
    ]
    for name, read in readers:
        if revision is None and name not in ("integrity",):
            found.append(Check(name, "skipped", "no helpdesk tables to check"))
            continue
        found.append(_guarded(desk, name, read))
    return Report(_shown_url(desk), desk.backend, found)


def _guarded(desk: Desk, name: str, read: Callable[[Session], Check]) -> Check:
    try:
        with desk.read() as session:
            return read(session)
    except Exception as exc:  # noqa: BLE001 - a check that cannot run is itself a finding
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        return checks.problem(name, f"could not check: {type(exc).__name__}: {reason}",
                              "bring the schema up to date (`helpdesk init`); if this stays, the file may be "
                              "damaged: see the integrity check")


def _shown_url(desk: Desk) -> str:
    return desk.engine.url.render_as_string(hide_password=True)


# -- the repair ---------------------------------------------------------------------------------

def repair_search(session: Session, actor: Actor) -> dict:
    """Rebuild the search rows the search check finds wrong: missing, stale or orphaned."""
    from helpdesk import search
    from helpdesk.services.tickets.indexing import reindex

    require(actor, "admin")
    found = checks.search_disagreement(session)
    if found.none:
        return {"reindexed": 0, "removed": 0}
    wrong = sorted(set(found.missing) | set(found.stale))
    for start in range(0, len(wrong), 500):
        reindex(session, wrong[start:start + 500])
    if found.orphans:
        search.remove(session, found.orphans)
    record(session, actor, "desk", None, "search_index", None,
           f"{len(wrong)} tickets reindexed, {len(found.orphans)} orphan rows removed", reason="helpdesk doctor --repair")
    return {"reindexed": len(wrong), "removed": len(found.orphans)}
