"""SLA configuration stored in the desk (`helpdesk sla load|policies`).

The TOML is validated whole (helpdesk.sla_config) plus every policy's `match`
as a query against this desk's names, then stored as JSON in the `Setting`
table under `sla.config`, so every agent and every worker shares it. Which
policy a ticket gets is decided here too: the first whose match fits."""

from __future__ import annotations

import json
from collections import OrderedDict
from functools import lru_cache
from datetime import datetime
from pathlib import Path

from sqlalchemy import case, select
from sqlmodel import Session

import helpdesk
from helpdesk.errors import Invalid, NotFound
from helpdesk.models import Setting, Ticket
from helpdesk.services.core.bulk_sql import listed
from helpdesk.sla_config import CLOCK_KINDS, Policy, SlaConfig, with_line

SETTING_KEY = "sla.config"
DEFAULT_FILE = Path(helpdesk.__file__).parent.parent / "data" / "sla.toml"
_CACHE_SIZE = 4
# Parsed configs by their stored JSON: parsing re-validates calendars (and loads
# holiday tables), and reusing one Calendar keeps its per-day interval cache warm.
_parsed: OrderedDict[str, SlaConfig] = OrderedDict()


def stored_config(session: Session) -> SlaConfig | None:
    """The desk's SLA configuration, or None when none was ever loaded.

    Read once per session (a session is one transaction or one read): batch work asks
    for it per ticket, and a bulk UPDATE expires the row, which cost a query and a JSON
    dump each time. `load_policies` forgets it when it stores new ones."""
    held = session.info.get(_HELD)
    if held is not None:
        return held[0]
    config = _read_config(session)
    session.info[_HELD] = (config,)
    return config


_HELD = "sla_config_held"


def forget_config(session: Session) -> None:
    session.info.pop(_HELD, None)


def _read_config(session: Session) -> SlaConfig | None:
    row = session.get(Setting, SETTING_KEY)
    if row is None or not row.value:
        return None
    mine = session.info.get("sla_config")
    if mine is not None and mine[0] is row.value:  # the same stored value as before in this session
        return mine[1]
    key = json.dumps(row.value, sort_keys=True)
    config = _parsed.get(key)
    if config is None:
        config = _parsed[key] = SlaConfig.from_dict(row.value)
        while len(_parsed) > _CACHE_SIZE:
            _parsed.popitem(last=False)
    session.info["sla_config"] = (row.value, config)
    return config


def require_config(session: Session) -> SlaConfig:
    config = stored_config(session)
    if config is None:
        raise NotFound("no SLA policies are loaded (helpdesk sla load FILE, or helpdesk init for the defaults)")
    return config


def describe(config: SlaConfig) -> str:
    return f"{len(config.policies)} policies ({', '.join(p.name for p in config.policies)}), " \
           f"{len(config.calendars)} calendars"


# -- matching ------------------------------------------------------------------

def check_matches(session: Session, config: SlaConfig, *, now: datetime) -> None:
    """Every `match` must be a query this desk can run: refuse the file otherwise."""
    for number, policy in enumerate(config.policies, start=1):
        try:
            _condition(session, policy, now)
        except Invalid as exc:
            error = Invalid(exc.message, field=f'policies[{number}] "{policy.name}": match')
            raise (with_line(error, config.source) if config.source else error) from None


def policies_for(session: Session, config: SlaConfig | None, ticket_ids: list[int], *,
                 now: datetime) -> dict[int, Policy | None]:
    """The first matching policy of each ticket (None: no policy applies), in one query."""
    found: dict[int, Policy | None] = {tid: None for tid in ticket_ids}
    if config is None or not config.policies or not ticket_ids:
        return found
    first = policy_index(session, config, now)
    if first is None:
        return found
    for tid, index in session.execute(select(Ticket.id, first).where(Ticket.id.in_(listed(session, ticket_ids)))):
        found[tid] = config.policies[index] if index >= 0 else None
    return found


def policy_index(session: Session, config: SlaConfig, now: datetime):
    """A column expression: the index in config.policies of a ticket's first matching
    policy, -1 for none; None when no policy can match anything."""
    whens = _compiled(session, config, now)
    return case(*whens, else_=-1) if whens else None


def _compiled(session: Session, config: SlaConfig, now: datetime) -> list[tuple]:
    """(condition, policy index) per usable policy, compiled once per transaction:
    a ticket change tracks its clocks several times (update, then message)."""
    cache = session.info.setdefault("sla_conditions", {})
    if id(config) not in cache:
        from helpdesk.services.core.settings import desk_zone

        zone, whens = desk_zone(session), []
        for index, policy in enumerate(config.policies):
            try:
                whens.append((_condition(session, policy, now, zone), index))
            except Invalid:
                continue  # e.g. a team renamed since loading: that policy matches nothing
        cache.clear()
        cache[id(config)] = (config, whens)  # the config is kept so its id stays unique
    return cache[id(config)][1]


def _condition(session: Session, policy: Policy, now: datetime, zone=None):
    from helpdesk.query import parse
    from helpdesk.query_sql import Compiler
    from helpdesk.services.core.settings import desk_zone

    query = parse(policy.match, now=now, tz=zone or desk_zone(session))
    return Compiler(session, me=None, now=now).compile(query)


# -- presenting ------------------------------------------------------------------

def policy_rows(config: SlaConfig) -> list[dict]:
    """One dict per policy, in match order, for `sla policies`."""
    rows = []
    for order, policy in enumerate(config.policies, start=1):
        table = policy.to_table()
        rows.append({"order": order, **table,
                     **{kind: table.get(kind) for kind in CLOCK_KINDS},
                     "targets_seconds": {kind: getattr(policy, kind) for kind in CLOCK_KINDS}})
    return rows


def calendar_rows(config: SlaConfig) -> list[dict]:
    return [{"name": name, **calendar.to_table()} for name, calendar in config.calendars.items()]


def short_duration(seconds: int | None) -> str:
    """'27h', '1h30m', '45s': hours rather than days, which read as calendar days."""
    if seconds is None:
        return "-"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return "".join(f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n) or "0s"


# -- which changes can move a clock -------------------------------------------------------

CLOCK_INPUTS = frozenset({"status", "priority", "type"})  # pauses, targets; the rest only through `match`


def clocks_may_move(session: Session, event) -> bool:
    """Whether a ticket change (a `ticket.updated` DomainEvent) can move its SLA clocks:
    it touches the status, priority or type, or something a policy's `match` reads (which
    policy applies). A tag an automation adds, a new assignee or team, a typed field no
    policy names: no clock moves, so neither the clocks nor the report figures built on
    them are worked out again."""
    from helpdesk.query_reads import ANY, known, overlaps

    changes = event.changes
    if not changes:
        return True  # a change that does not say what it changed
    if not changes.keys().isdisjoint(CLOCK_INPUTS) or not known(changes):
        return True
    config = stored_config(session)
    if config is None:
        return False
    read = _matches_read(tuple(p.match for p in config.policies))
    # asked for every ticket of a rule's firing: the diff's tag keys only when a match reads tags
    return read is ANY or (bool(read) and overlaps(read, event.changed_keys()))


@lru_cache(maxsize=16)
def _matches_read(matches: tuple[str, ...]) -> frozenset[str] | None:
    from helpdesk.query_reads import reads

    keys: set[str] = set()
    for match in matches:
        read = reads(match)
        if read is None:
            return None
        keys |= read
    return frozenset(keys)
