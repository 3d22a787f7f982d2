"""The checker of a stress run: reads the database alone, plus the logs of what the
processes reported, and lists every violation.

- no operation that reported success is missing (tickets, messages, imported rows,
  mail, ratings; each token written exactly once);
- no `--if-version` update was lost or applied twice: an update that succeeded left its
  token in exactly one event, a refused one in none, and no two updates succeeded from
  the same version of a ticket;
- versions strictly increase per ticket: no two successful writes returned the same
  version, and a ticket's version is 1 + the number of changes its events record;
- every change has its event (the same count, seen from the other side);
- no agent holds more tickets than their capacity through automatic routing (the
  events replayed in order; assignments whose reason names the routing strategy);
- the SLA clocks equal a recomputation from the history (`sla.compute_clocks` over the
  timeline rebuilt from the events and messages);
- each SLA warning and breach fired exactly once (one event each; none due before the
  last sweep left unfired);
- no process saw "database is locked", a deadlock, a serialization failure or a traceback
  (every process's stderr), and no operation crashed.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

BAD_OUTPUT = re.compile(r"database is locked|Traceback \(most recent call last\)|deadlock detected|"
                        r"could not serialize|UniqueViolation|IntegrityError", re.I)
# events that do not bump a ticket's version (audit of things beside the ticket row)
UNVERSIONED = {"created", "follower", "mention_warning", "portal_links", "rating", "rule", "rule_warning",
               "sla_policy", "side_conversation", "imported"}
BUMPING_OPS = ("update_if", "solve", "reply")
LABELS = {"first_response": "first response", "next_response": "next response", "resolution": "resolution"}


@dataclass
class Found:
    records: list[dict] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    checked: Counter = field(default_factory=Counter)

    def bad(self, what: str) -> None:
        self.violations.append(what)


def load_logs(out: Path) -> list[dict]:
    records = []
    for path in sorted(out.glob("p*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                records.append(json.loads(line))
    return records


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def check(url: str, out: Path, names: list[str] | None = None) -> Found:
    from helpdesk.db import open_desk

    found = Found(load_logs(out))
    scan_output(found, out)
    desk = open_desk(url, migrate=False)
    try:
        with desk.read() as s:
            check_successes(found, s)
            check_versions(found, s)
            check_capacity(found, s)
            check_sla_clocks(found, s)
            check_sla_actions(found, s)
    finally:
        desk.close()
    return found


# -- processes --------------------------------------------------------------------------------

def scan_output(found: Found, out: Path) -> None:
    for path in sorted(out.glob("*.stderr")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in BAD_OUTPUT.finditer(text):
            line = text[text.rfind("\n", 0, match.start()) + 1:text.find("\n", match.end())]
            found.bad(f"{path.name}: {line.strip()[:200]}")
        found.checked["stderr files"] += 1
    for r in found.records:
        if r.get("error") == "crash":
            found.bad(f"p{r['p']} op {r['i']} {r['op']} via {r['via']} crashed: {r.get('msg')}")


# -- successes ------------------------------------------------------------------------------------

def check_successes(found: Found, s) -> None:
    from helpdesk.models import Event, Message, Rating, Ticket

    tickets = {tid: (version, subject, ext) for tid, version, subject, ext in
               s.execute(select(Ticket.id, Ticket.version, Ticket.subject, Ticket.external_id))}
    bodies = Counter(s.execute(select(Message.body)).scalars())
    token_events = Counter((tid, f, new) for tid, f, new in s.execute(
        select(Event.ticket_id, Event.field, Event.new).where(Event.field.in_(("field.stress", "field.bulk")))))
    by_token = defaultdict(list)
    for (tid, f, new), n in token_events.items():
        by_token[(f, new)].append((tid, n))
    externals = Counter(ext for _, _, ext in tickets.values() if ext)
    mail_ids = Counter(f"<{m}>" for m in s.execute(select(Message.mail_message_id).where(Message.mail_message_id.is_not(None))).scalars())
    rated = set(s.execute(select(Rating.ticket_id)).scalars())
    for r in found.records:
        if r["op"] == "worker":
            continue
        where = f"p{r['p']} op {r['i']} {r['op']} ({r['via']})"
        for tid, version in (r.get("tickets") or {}).items() if r.get("ok") else ():
            if int(tid) not in tickets:
                found.bad(f"{where}: reported ticket #{tid}, which is missing")
            elif version is not None and version > tickets[int(tid)][0]:
                found.bad(f"{where}: reported #{tid} at version {version}, the ticket is at {tickets[int(tid)][0]}")
        op, ok, token = r["op"], r.get("ok"), r["token"]
        if op == "create" and ok:
            [(tid, _)] = r["tickets"].items()
            if int(tid) in tickets and tickets[int(tid)][1] != r["subject"]:
                found.bad(f"{where}: #{tid} has another subject than the one created")
        elif op in ("update_if", "solve"):
            hits = by_token.get(("field.stress", token), [])
            if ok and (len(hits) != 1 or hits[0][1] != 1 or hits[0][0] != r["ticket"]):
                found.bad(f"{where}: succeeded on #{r['ticket']}, its change is in the events {hits or 'nowhere'}")
            if not ok and hits:
                found.bad(f"{where}: refused ({r.get('error')}) yet its change is in the events {hits}")
            found.checked["updates"] += 1
        elif op == "bulk":
            hits = {tid: n for tid, n in by_token.get(("field.bulk", token), [])}
            reported = {int(t) for t in (r.get("tickets") or {})} if ok else set()
            if set(hits) != reported or any(n != 1 for n in hits.values()):
                found.bad(f"{where}: reported {sorted(reported)}, the events hold {hits}")
        elif op in ("reply", "portal_reply") and ok and r.get("body"):
            if bodies[r["body"]] != 1:
                found.bad(f"{where}: its message is in the database {bodies[r['body']]} times")
        elif op == "import" and ok:
            for ext in r["external_ids"]:
                if externals[ext] != 1:
                    found.bad(f"{where}: external id {ext} is on {externals[ext]} tickets")
        elif op == "mail" and ok and r.get("action") in ("created", "appended"):
            if mail_ids[r["message_id"]] != 1:
                found.bad(f"{where}: {r['message_id']} is on {mail_ids[r['message_id']]} messages")
        elif op == "portal_survey" and ok and r["ticket"] not in rated:
            found.bad(f"{where}: rated #{r['ticket']}, no rating stored")
        found.checked["operations"] += 1
    for mid, n in mail_ids.items():
        if n > 1:
            found.bad(f"mail {mid} was filed {n} times (a re-delivery must be ignored)")
    # two successes from the same version of a ticket: one of them overwrote the other
    seen: dict[tuple[int, int], dict] = {}
    for r in found.records:
        if r["op"] == "update_if" and r.get("ok"):
            key = (r["ticket"], r["if_version"])
            if key in seen:
                other = seen[key]
                found.bad(f"p{r['p']} op {r['i']} and p{other['p']} op {other['i']} both updated #{key[0]} "
                          f"from version {key[1]}")
            seen[key] = r
            [(tid, version)] = r["tickets"].items()
            if version <= r["if_version"]:
                found.bad(f"p{r['p']} op {r['i']}: #{tid} went from version {r['if_version']} to {version}")


# -- versions and events -------------------------------------------------------------------------------

def check_versions(found: Found, s) -> None:
    """Each successful write returned a version no other write returned; each ticket's
    version is 1 + the changes its events record (events of one change share an instant)."""
    from helpdesk.models import Event, Ticket

    claimed: dict[tuple[int, int], str] = {}
    for r in found.records:
        if r.get("ok") and r["op"] in BUMPING_OPS:
            for tid, version in (r.get("tickets") or {}).items():
                if version is None:
                    continue
                key, who = (int(tid), version), f"p{r['p']} op {r['i']} {r['op']}"
                if key in claimed:
                    found.bad(f"#{tid} version {version} returned to two writes: {claimed[key]} and {who}")
                claimed[key] = who
    changes: dict[int, set] = defaultdict(set)
    for tid, f, at in s.execute(select(Event.ticket_id, Event.field, Event.at).where(Event.entity == "ticket")):
        if f not in UNVERSIONED and not f.startswith("sla"):
            changes[tid].add(at)
    for tid, version in s.execute(select(Ticket.id, Ticket.version)):
        found.checked["tickets"] += 1
        if version != 1 + len(changes[tid]):
            found.bad(f"#{tid} is at version {version}, its events record {len(changes[tid])} changes "
                      f"(a change without its event, or an event without its change)")


# -- routing and capacity ---------------------------------------------------------------------------------

def check_capacity(found: Found, s) -> None:
    """Replay the events in order: an assignment by routing never takes an agent past capacity."""
    from helpdesk.models import Agent, Event, Ticket

    capacity = {email: cap for email, cap in s.execute(select(Agent.email, Agent.capacity))}
    loaded = ("new", "open")
    status: dict[int, str] = {}
    holder: dict[int, str | None] = {}
    first_status = {}
    for tid, old in s.execute(select(Event.ticket_id, Event.old).where(Event.field == "status")
                              .order_by(Event.ticket_id, Event.id)):
        first_status.setdefault(tid, old)
    initial = {tid: (st, None) for tid, st in s.execute(select(Ticket.id, Ticket.status))}
    load: Counter = Counter()

    def held(tid):
        return holder.get(tid) is not None and status.get(tid) in loaded

    routed = 0
    for tid, f, old, new, reason in s.execute(
            select(Event.ticket_id, Event.field, Event.old, Event.new, Event.reason)
            .where(Event.entity == "ticket", Event.field.in_(("created", "status", "assignee")))
            .order_by(Event.id)):
        if f == "created":
            status[tid] = first_status.get(tid) or initial.get(tid, ("new",))[0]
            holder[tid] = None
            continue
        before = holder.get(tid) if held(tid) else None
        if f == "status":
            status[tid] = new
        else:
            holder[tid] = new
        after = holder.get(tid) if held(tid) else None
        if before != after:
            if before:
                load[before] -= 1
            if after:
                load[after] += 1
        if f == "assignee" and reason and reason.startswith("routed:") and new:
            routed += 1
            cap = capacity.get(new)
            if cap is not None and load[new] > cap:
                found.bad(f"#{tid} routed ({reason}) to {new}, who then held {load[new]} tickets (capacity {cap})")
    found.checked["routed assignments"] = routed
    if routed == 0:
        found.bad("nothing was routed: the run did not exercise routing")


# -- SLA ---------------------------------------------------------------------------------------------------

def check_sla_clocks(found: Found, s) -> None:
    """Every stored clock equals a recomputation from the ticket's history."""
    from helpdesk.models import SlaClock, Ticket, utcnow
    from helpdesk.services.sla.policies import policies_for, stored_config
    from helpdesk.services.sla.tracking import timelines_of
    from helpdesk.sla import compute_clocks

    now = utcnow()
    config = stored_config(s)
    tickets = list(s.execute(select(Ticket).where(Ticket.status != "closed")).scalars())
    stored: dict[int, dict[str, SlaClock]] = defaultdict(dict)
    for row in s.execute(select(SlaClock)).scalars():
        stored[row.ticket_id][row.kind] = row
    policies = policies_for(s, config, [t.id for t in tickets], now=now)
    timelines = timelines_of(s, tickets)
    for t in tickets:
        policy = policies[t.id]
        if t.external_id and t.sla_policy is None:
            continue  # history from a sheet without clocks: the import's own rule
        if policy is None:
            if stored[t.id]:
                found.bad(f"#{t.id}: no policy applies, yet it has clocks {sorted(stored[t.id])}")
            continue
        clocks = compute_clocks(timelines[t.id], policy, config.calendar_for(policy), max(now, t.created_at))
        if t.sla_policy != policy.name:
            found.bad(f"#{t.id}: sla_policy {t.sla_policy!r}, recomputed {policy.name!r}")
        for kind in LABELS:
            clock, row = getattr(clocks, kind), stored[t.id].get(kind)
            if (clock is None) != (row is None):
                found.bad(f"#{t.id} {kind}: stored {'a clock' if row else 'none'}, recomputed "
                          f"{'a clock' if clock else 'none'}")
                continue
            if clock is None:
                continue
            found.checked["clocks"] += 1
            want = _clock_facts(clock.state, clock.due_at, clock.warn_at, clock.met_at, clock.started_at,
                                clock.target_seconds, now)
            have = _clock_facts(row.state, row.due_at, row.warn_at, row.met_at, row.started_at,
                                row.target_seconds, now)
            if want != have or row.policy != policy.name:
                found.bad(f"#{t.id} {kind}: stored {have} ({row.policy}), recomputed {want} ({policy.name})")


def _clock_facts(state, due, warn, met, started, target, now) -> tuple:
    due, warn, met, started = (_utc(x) for x in (due, warn, met, started))
    if state == "running" and due is not None and due <= now:
        state = "breached"
    return state, due, warn, met, started, target


def check_sla_actions(found: Found, s) -> None:
    """One event per warning and per breach; nothing due before the last sweep left unfired."""
    from helpdesk.models import Event, SlaClock, Ticket

    # a new policy is a new clock, which may warn and breach anew (a policy A -> B -> A gives
    # the same due instant again): firings are counted per policy epoch of the ticket
    changes = defaultdict(list)
    for tid, eid in s.execute(select(Event.ticket_id, Event.id).where(Event.field == "sla_policy").order_by(Event.id)):
        changes[tid].append(eid)
    fired = Counter((tid, f, new, sum(1 for c in changes[tid] if c < eid)) for tid, f, new, eid in s.execute(
        select(Event.ticket_id, Event.field, Event.new, Event.id).where(Event.field.in_(("sla.warning", "sla.breached")))))
    for (tid, f, new, _), n in fired.items():
        found.checked[f] += n
        if n > 1:
            found.bad(f"#{tid}: {f} '{new}' fired {n} times")
    last_sweep = _last_sweep(found)
    imported = set(s.execute(select(Ticket.id).where(Ticket.external_id.is_not(None))).scalars())
    told = defaultdict(set)
    for tid, f, new, _ in fired:
        told[(tid, f)].add(new)
    for row in s.execute(select(SlaClock)).scalars():
        if row.ticket_id in imported:
            continue
        label = LABELS[row.kind]
        due, warn = _utc(row.due_at), _utc(row.warn_at)
        if row.breach_fired_at is not None:
            said = f"{label} breached at {due.isoformat() if due else '?'}"
            if said not in told[(row.ticket_id, "sla.breached")]:
                found.bad(f"#{row.ticket_id} {row.kind}: breach marked fired, no event '{said}'")
        if row.warned_at is not None and not any(x.startswith(label) for x in
                                                 told[(row.ticket_id, "sla.warning")] | told[(row.ticket_id, "sla.breached")]):
            found.bad(f"#{row.ticket_id} {row.kind}: warning marked fired, no warning or breach event")
        if last_sweep is None or row.met_at is not None:
            continue
        if due is not None and row.state in ("running", "breached") and due < last_sweep and row.breach_fired_at is None:
            found.bad(f"#{row.ticket_id} {row.kind}: due {due.isoformat()}, before the last sweep, never fired")
        if warn is not None and warn < last_sweep and row.warned_at is None:
            found.bad(f"#{row.ticket_id} {row.kind}: warning at {warn.isoformat()}, before the last sweep, never fired")


def _last_sweep(found: Found) -> datetime | None:
    """When the worker's final round began (less a second of slack: its sweep reads `now` then)."""
    finals = [r for r in found.records if r["op"] == "worker" and r.get("final")]
    if not finals:
        return None
    r = finals[-1]
    return datetime.fromtimestamp(r["at"] - r["ms"] / 1000, tz=timezone.utc) - timedelta(seconds=1)


# -- the report --------------------------------------------------------------------------------------------

def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def report(found: Found, *, procs: int, ops: int, backend: str, seconds: float) -> dict:
    driven = [r for r in found.records if r["op"] != "worker"]
    by_kind = defaultdict(list)
    for r in driven:
        by_kind[r["op"]].append(r)
    kinds = {}
    for kind, rs in sorted(by_kind.items()):
        ms = [r["ms"] for r in rs]
        kinds[kind] = {"count": len(rs), "ok": sum(1 for r in rs if r.get("ok")),
                       "refused": dict(Counter(r["error"] for r in rs if not r.get("ok"))),
                       "p50_ms": round(_pct(ms, 0.5), 1), "p99_ms": round(_pct(ms, 0.99), 1)}
    sweeps = [r for r in found.records if r["op"] == "worker"]
    all_ms = [r["ms"] for r in driven]
    return {
        "backend": backend, "processes": procs, "operations_each": ops, "operations": len(driven),
        "seconds": round(seconds, 1), "ops_per_s": round(len(driven) / seconds, 1) if seconds else None,
        "p50_ms": round(_pct(all_ms, 0.5), 1), "p99_ms": round(_pct(all_ms, 0.99), 1),
        "retries": sum(r.get("retries") or 0 for r in found.records),
        "subprocesses": sum(1 for r in driven if r["via"] == "subprocess"),
        "sweeps": len(sweeps), "kinds": kinds, "checked": dict(found.checked),
        "violations": found.violations,
    }


def markdown(rep: dict) -> str:
    lines = [f"### {rep['backend']}: {rep['processes']} processes x {rep['operations_each']} operations "
             f"(+ the worker)", "",
             f"{rep['operations']} operations"
             + (f" (of {rep['processes'] * rep['operations_each']} planned: the time limit came first)"
                if rep['operations'] < rep['processes'] * rep['operations_each'] else "")
             + f" in {rep['seconds']} s: **{rep['ops_per_s']} ops/s**, "
             f"p50 {rep['p50_ms']} ms, p99 {rep['p99_ms']} ms; busy retries {rep['retries']}; "
             f"{rep['subprocesses']} CLI subprocesses; {rep['sweeps']} worker rounds; "
             f"**violations: {len(rep['violations'])}**", "",
             "| operation | count | ok | refused | p50 ms | p99 ms |", "|---|---|---|---|---|---|"]
    for kind, k in rep["kinds"].items():
        refused = ", ".join(f"{e} {n}" for e, n in sorted(k["refused"].items())) or "-"
        lines.append(f"| {kind} | {k['count']} | {k['ok']} | {refused} | {k['p50_ms']} | {k['p99_ms']} |")
    lines += ["", "checked: " + ", ".join(f"{k} {v}" for k, v in sorted(rep["checked"].items()))]
    for v in rep["violations"][:50]:
        lines.append(f"- VIOLATION {v}")
    if len(rep["violations"]) > 50:
        lines.append(f"- ... and {len(rep['violations']) - 50} more")
    return "\n".join(lines)
