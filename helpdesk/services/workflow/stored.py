"""Rules and macros stored in the desk (`helpdesk rules load`, `helpdesk macro load`).

Like the SLA policies: the TOML is checked whole (helpdesk.rules / helpdesk.macros,
then every name against this desk) and stored as JSON in `Setting`, so every agent,
the worker and the app share it. A refused file leaves the stored one as it was."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from helpdesk.errors import Invalid
from helpdesk.macros import Macro, load_macros
from helpdesk.models import Agent, Team, utcnow
from helpdesk.rules import Actions, RuleSet, line_of, load_rules
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.settings import cached, store_loaded
from helpdesk.toml_lines import placed

RULES_KEY = "rules.config"
MACROS_KEY = "macros.config"
NOTIFY_ROLES = ("assignee", "team")


def stored_rules(session: Session) -> RuleSet:
    return cached(session, RULES_KEY, RuleSet.from_dict) or RuleSet()


def stored_macros(session: Session) -> dict[str, Macro]:
    """Macros by lower-cased name, in file order."""
    return cached(session, MACROS_KEY, lambda v: {m["name"].lower(): Macro.from_dict(m) for m in v}) or {}


def find_macro(session: Session, name: str) -> Macro:
    macro = stored_macros(session).get((name or "").strip().lower())
    if macro is None:
        from helpdesk.errors import NotFound

        raise NotFound(f"no macro {name!r}; see `helpdesk macro list`")
    return macro


def _store(session: Session, actor: Actor, key: str, value, summary: str, source: str | None) -> None:
    store_loaded(session, actor, key, value, summary, source, _summary)


def _summary(value) -> str | None:
    if not value:
        return None
    if isinstance(value, dict):
        return f"{len(value.get('triggers', []))} triggers, {len(value.get('automations', []))} automations"
    return f"{len(value)} macros"


# -- loading -------------------------------------------------------------------

def load_rules_file(session: Session, actor: Actor, text: str, *, source: str | None = None,
                    now: datetime | None = None) -> dict:
    """Check and store rules TOML (admins only); all or nothing."""
    require(actor, "admin")
    macros = stored_macros(session)
    rules = load_rules(text, macro_changes=lambda name: macros[name.lower()].changes if name.lower() in macros else None)
    try:
        _check_names(session, rules, text, macros, now or utcnow())
    except Invalid as exc:
        raise placed(exc, text) from None
    _store(session, actor, RULES_KEY, rules.to_dict(),
           f"{len(rules.triggers)} triggers, {len(rules.automations)} automations", source)
    return {"triggers": len(rules.triggers), "automations": len(rules.automations)}


def load_macros_file(session: Session, actor: Actor, text: str, *, source: str | None = None) -> dict:
    """Check and store macros TOML (admins only); rules that use a macro the new file
    drops are refused, so a stored rule never points at nothing."""
    require(actor, "admin")
    macros = load_macros(text)
    try:
        for index, macro in enumerate(macros, 1):
            _check_actions(session, macro.changes, f"macros[{index}] {macro.name!r}", text, "macros", index, {})
    except Invalid as exc:
        raise placed(exc, text) from None
    names = {m.name.lower() for m in macros}
    rules = stored_rules(session)
    for rule in (*rules.triggers, *rules.automations):
        if rule.actions.macro and rule.actions.macro.lower() not in names:
            raise Invalid(f"rule {rule.name!r} uses macro {rule.actions.macro!r}, which this file no longer has; "
                          "load rules without it first")
    _store(session, actor, MACROS_KEY, [m.to_dict() for m in macros], f"{len(macros)} macros", source)
    return {"macros": len(macros)}


def _check_names(session: Session, rules: RuleSet, text: str, macros: dict, now: datetime) -> None:
    from helpdesk.query_sql import Compiler
    from helpdesk.rules import parse_when
    from helpdesk.services.sla.policies import stored_config

    config = stored_config(session)
    calendars = config.calendars if config else {}
    compiler = Compiler(session, me=None, now=now)
    for kind, items in (("triggers", rules.triggers), ("automations", rules.automations)):
        for index, rule in enumerate(items, 1):
            label = f"{kind}[{index}] {rule.name!r}"
            try:
                compiler.compile(parse_when(rule.when))
            except Invalid as exc:
                raise _bad(text, kind, index, "when", f"{label}: when: {exc.message}") from None
            if "assignee:me" in rule.when.replace(" ", ""):
                raise _bad(text, kind, index, "when", f"{label}: a rule has no 'me'; name the agent")
            _check_actions(session, rule.actions, label, text, kind, index, macros)
            calendar = getattr(rule, "calendar", None)
            if calendar and calendar not in calendars:
                raise _bad(text, kind, index, "calendar", f"{label}: no SLA calendar {calendar!r} "
                           f"(calendars: {', '.join(calendars) or 'none; helpdesk sla load'})")


def _check_actions(session: Session, actions: Actions, label: str, text: str, kind: str, index: int,
                   macros: dict) -> None:
    team, assignee = actions.sets.get("team"), actions.sets.get("assignee")
    if team and not session.execute(select(Team.id).where(func.lower(Team.name) == team.lower())).first():
        raise _bad(text, kind, index, "actions", f"{label}: no team {team!r} (helpdesk team list)")
    for who in [assignee] + [n for n in actions.notify if n not in NOTIFY_ROLES]:
        if who and not _agent_exists(session, who):
            raise _bad(text, kind, index, "actions", f"{label}: no agent {who!r} (helpdesk agent list)")
    if actions.macro and actions.macro.lower() not in macros:
        raise _bad(text, kind, index, "actions", f"{label}: no macro {actions.macro!r} (helpdesk macro load FILE first)")


def _agent_exists(session: Session, who: str) -> bool:
    key = who.strip().lower()
    return session.execute(select(Agent.id).where(
        (func.lower(Agent.email) == key) | (func.lower(Agent.name) == key))).first() is not None


def _bad(text: str, kind: str, index: int, key: str, why: str) -> Invalid:
    line = line_of(text, key, kind, index)
    return Invalid(why + (f" (at line {line})" if line else ""))


def rules_as_rows(rules: RuleSet) -> list[dict]:
    rows = []
    for kind, items in (("trigger", rules.triggers), ("automation", rules.automations)):
        for position, rule in enumerate(items, 1):
            on = ",".join(getattr(rule, "on", ())) or "every minute"
            rows.append({**rule.to_dict(), "kind": kind, "position": position, "on": on,
                         "actions": rule.actions.describe(), "do": rule.actions.to_dict()})
    return rows
