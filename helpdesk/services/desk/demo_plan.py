"""The demo desk's story in time (pure: no database; `now` is a parameter).

`arrivals` says when each ticket came in and how far it got (still worked, solved,
closed): over the past three weeks, more on working days and hours, older ones done.
`tell` then writes what happened after arrival (replies, customer messages, status
changes), timed in business time of the ticket's SLA calendar and checked with
the desk's own `compute_clocks`, so the desk ends as a healthy small team's does:
most work within target, a handful due within hours, a few breached, and some
solved tickets that missed their target. About half the solved tickets were solved
with one public reply (the first, which answers: first-contact resolution) and a few
percent were reopened by the customer writing back after the solve, then answered
and solved again. Everything is drawn from `rng`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from helpdesk.calendar import Calendar, add_business_time, business_time_before
from helpdesk.sla import Policy, SlaClocks, Timeline, TimelineEvent, compute_clocks

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
SPAN = 21 * DAY
DUE_SOON = 2 * HOUR  # the app's "Due soon" queue is sla:due<2h
MARGIN = 15 * MINUTE  # stay clear of that edge and of "now", so a second's difference moves nothing
ACTIVE, SOLVED, CLOSED = "active", "solved", "closed"
HOT = 4  # urgent tickets from the last hours: due soon even at night, on a 24x7 calendar
SOON, BREACHED = 4, 3  # how many worked tickets the story aims to have due soon / breached
LATE_SOLVED = 0.12  # share of solved tickets that missed a target
TRIES = 30
ONE_TOUCH = [5, 3, 2]  # solved tickets: one reply that answers and solves / answered, then fixed / followed up
REOPENED = 0.06  # share of solved tickets the customer wrote back on after the solve (then solved again)


@dataclass(frozen=True)
class Step:
    at: datetime
    action: str  # reply | note | customer | status
    word: str  # reply/note: what kind of text (demo_content.WORDS); status: the new status


@dataclass(frozen=True)
class Arrival:
    created: datetime
    fate: str  # ACTIVE, SOLVED or CLOSED
    hot: bool = False


@dataclass(frozen=True)
class Terms:
    """The SLA policy a ticket falls under and its calendar (None: no policy applies)."""

    policy: Policy | None = None
    calendar: Calendar | None = None


def arrivals(rng: random.Random, now: datetime, count: int) -> list[Arrival]:
    """`count` tickets in the order they came in."""
    out = [Arrival(now - timedelta(seconds=rng.uniform(4 * 3600, 6 * 3600)), ACTIVE, hot=True)
           for _ in range(HOT)]
    while len(out) < count:
        created = now - timedelta(seconds=rng.uniform(5 * 60, SPAN.total_seconds()))
        weight = (0.35 if created.weekday() >= 5 else 1.0) * (1.0 if 6 <= created.hour < 19 else 0.3)
        if rng.random() < weight:
            out.append(Arrival(created, _fate(rng, (now - created) / DAY)))
    return sorted(out, key=lambda a: a.created)


def _fate(rng: random.Random, days: float) -> str:
    active, solved = ((0.95, 0.05) if days < 1 else (0.8, 0.15) if days < 3 else (0.3, 0.25) if days < 8
                      else (0.03, 0) if days < 14 else (0, 0))
    r = rng.random()
    return ACTIVE if r < active else SOLVED if r < active + solved else CLOSED


def tell(rng: random.Random, now: datetime, tickets: list[tuple[Arrival, Terms, bool]]) -> list[tuple[list[Step], str]]:
    """The steps of each (arrival, terms, assigned) and the SLA picture they end in:
    ok / soon / breached for worked tickets, met / breached for solved ones."""
    out: list = [None] * len(tickets)
    active = [i for i, (a, _, _) in enumerate(tickets) if a.fate == ACTIVE]
    rng.shuffle(active)
    active.sort(key=lambda i: not tickets[i][0].hot)  # hot first: they are the ones that can be due soon
    counts = {"soon": 0, "breached": 0}
    for i in active:
        arrival, terms, assigned = tickets[i]
        story = Story(rng, now, arrival, terms, assigned)
        told = None
        if counts["soon"] < SOON and assigned:
            told = story.tell("soon", tries=10)
        if told is None or told[1] != "soon":
            want = "breached" if counts["breached"] < BREACHED and rng.random() < 0.3 else "ok"
            told = story.tell(want)
        counts[told[1]] = counts.get(told[1], 0) + 1
        out[i] = told
    for i, (arrival, terms, assigned) in enumerate(tickets):
        if out[i] is None:
            out[i] = Story(rng, now, arrival, terms, assigned).tell(
                "breached" if rng.random() < LATE_SOLVED else "met")
    return out


class Story:
    """Candidate histories of one ticket, tried until one ends as wanted."""

    def __init__(self, rng: random.Random, now: datetime, arrival: Arrival, terms: Terms, assigned: bool):
        self.rng, self.now, self.arrival, self.assigned = rng, now, arrival, assigned
        self.old = now - arrival.created > 3 * DAY
        self.calendar = terms.calendar
        policy = terms.policy
        self.policy = policy
        self.first = (policy and policy.first_response) or 4 * 3600
        self.next = (policy and policy.next_response) or 8 * 3600
        self.resolution = (policy and policy.resolution) or 45 * 3600

    def tell(self, want: str, tries: int = TRIES) -> tuple[list[Step], str]:
        fallback = None
        for _ in range(tries):
            steps = self.candidate(want)
            if steps is None:
                continue
            got = self.picture(steps)
            if got == want:
                return steps, got
            if fallback is None or (fallback[1] == "edge" and got != "edge"):
                fallback = (steps, got)
        return fallback or ([], self.picture([]))

    # -- candidates ------------------------------------------------------------

    def candidate(self, want: str) -> list[Step] | None:
        rng, fate = self.rng, self.arrival.fate
        late_first = want == "breached" and rng.random() < 0.5
        if fate == ACTIVE:
            shape = rng.choices(["new", "answered", "waiting", "followed"], [2, 4, 3, 3])[0] if self.assigned else "new"
            if self.old and shape in ("new", "waiting"):
                shape = "answered"  # days old and still not done: waiting on the customer or a third party
            if want == "soon" and shape in ("new", "answered") and not self.old:
                shape = "waiting"
            if shape == "new":
                return []
        else:
            shape = rng.choices(["one", "answered", "followed"], ONE_TOUCH)[0]
            if shape == "one":  # the first reply answers and solves
                steps = self.one_touch(want == "breached")
                return steps if self.valid(steps) else None
        steps = self.answered(late_first, ask=shape == "waiting" or rng.random() < 0.3)
        if shape == "waiting":
            steps += self.waiting(steps[-1].at, want)
        elif shape == "followed":
            steps += self.followed(steps[-1].at, want == "breached" and not late_first)
        if fate == ACTIVE:
            if shape != "waiting":
                steps += self.parked(steps[-1].at)
        else:
            steps += self.solved(steps[-1].at, want == "breached" and not late_first)
        return steps if self.valid(steps) else None

    def one_touch(self, late: bool) -> list[Step]:
        """Solved with one public reply: the first one, which answers (now and then the
        customer wrote back after the solve and it was solved again: a reopen)."""
        at = self.agent_after(self.arrival.created, self.first, *((1.15, 2.5) if late else (0.05, 0.6)))
        steps = [Step(at, "reply", "fixed")]
        if self.rng.random() < 0.3:
            steps.append(Step(at + self.minutes(2, 20), "note", "note"))
        steps.append(Step(steps[-1].at + self.minutes(1, 15), "status", "solved"))
        return self.reopened(steps) + self.closed(steps[-1].at)

    def reopened(self, steps: list[Step]) -> list[Step]:
        """Now and then the customer writes back after a solve (the solve did not hold):
        the ticket opens again, an agent answers and solves it again."""
        if self.rng.random() >= REOPENED:
            return steps
        back = steps[-1].at + self.minutes(60, 48 * 60)
        reply = self.agent_after(back, self.next, 0.05, 0.5)
        return steps + [Step(back, "customer", "followup"), Step(reply, "reply", "fixed"),
                        Step(reply + self.minutes(1, 15), "status", "solved")]

    def closed(self, solved: datetime) -> list[Step]:
        closed = solved + timedelta(seconds=self.rng.uniform(2 * 86400, 5 * 86400))
        if self.arrival.fate == CLOSED and closed <= self.now - MINUTE:
            return [Step(closed, "status", "closed")]
        return []

    def answered(self, late: bool, ask: bool) -> list[Step]:
        at = self.agent_after(self.arrival.created, self.first, *((1.15, 2.5) if late else (0.05, 0.6)))
        steps = [Step(at, "reply", "ask" if ask else "ack")]
        if self.rng.random() < 0.3:
            steps.append(Step(at + self.minutes(2, 20), "note", "note"))
        return steps

    def waiting(self, after: datetime, want: str) -> list[Step]:
        """The customer answered and waits for us; the next reply's due time says how it looks."""
        rng, steps = self.rng, []
        if rng.random() < 0.5:
            steps.append(Step(after + self.minutes(1, 10), "status", "pending"))
        if want == "soon":
            at = self.before(self.now + self.minutes(25, 95), self.next)
        elif want == "breached":
            at = self.before(self.now, int(rng.uniform(1.2, 2.0) * self.next))
        else:
            at = self.before(self.now, int(rng.uniform(0.02, 0.4) * self.next))
        return steps + [Step(at, "customer", "followup")]

    def followed(self, after: datetime, late: bool) -> list[Step]:
        customer = after + self.minutes(20, 20 * 60)
        reply = self.agent_after(customer, self.next, *((1.15, 2.0) if late else (0.05, 0.5)))
        return [Step(customer, "customer", "followup"), Step(reply, "reply", "ack")]

    def parked(self, after: datetime) -> list[Step]:
        """Still open, or waiting on the customer (pending) or a third party (on hold)."""
        status = self.rng.choices(["open", "pending", "on_hold"], [0 if self.old else 5, 3, 1])[0]
        if status == "open":
            return []
        steps = [Step(after + self.minutes(1, 10), "note", "hold")] if status == "on_hold" else []
        return steps + [Step(after + self.minutes(11, 20), "status", status)]

    def solved(self, after: datetime, late: bool) -> list[Step]:
        target = self.agent_after(self.arrival.created, self.resolution, *((1.1, 1.6) if late else (0.1, 0.7)))
        fixed = max(target, after + self.minutes(10, 120))
        done = fixed + self.minutes(1, 15)
        steps = self.reopened([Step(fixed, "reply", "fixed"), Step(done, "status", "solved")])
        return steps + self.closed(steps[-1].at)

    def valid(self, steps: list[Step]) -> bool:
        at = self.arrival.created
        for step in steps:
            if step.at <= at or step.at > self.now - MINUTE:
                return False
            at = step.at
        return True

    # -- time ----------------------------------------------------------------------

    def agent_after(self, start: datetime, target: int, lo: float, hi: float) -> datetime:
        """An agent acts a share of a target after `start`, counted in business time:
        agents work when the calendar is open."""
        seconds = max(60, int(self.rng.uniform(lo, hi) * target))
        if self.calendar is None:
            return start + timedelta(seconds=seconds)
        return add_business_time(self.calendar, start, seconds)

    def before(self, end: datetime, seconds: int) -> datetime:
        if self.calendar is None:
            return end - timedelta(seconds=seconds)
        return business_time_before(self.calendar, end, seconds)

    def minutes(self, lo: float, hi: float) -> timedelta:
        return timedelta(seconds=int(self.rng.uniform(lo * 60, hi * 60)))

    # -- how it ends ---------------------------------------------------------------

    def picture(self, steps: list[Step]) -> str:
        """breached / met for a solved ticket; breached / soon / ok / edge for a worked one."""
        clocks = self.clocks(steps)
        shown = [c for c in clocks if c is not None] if clocks else []
        if any(c.state == "breached" for c in shown):
            return "breached"
        if self.arrival.fate != ACTIVE and any(s.word == "solved" for s in steps):
            return "met"
        due = min((c.due_at for c in shown if c.state == "running" and c.due_at), default=None)
        if due is None or due >= self.now + DUE_SOON + MARGIN:
            return "ok"
        if self.now + MARGIN <= due <= self.now + DUE_SOON - MARGIN:
            return "soon"
        return "edge"

    def clocks(self, steps: list[Step]) -> SlaClocks | None:
        if self.policy is None or self.calendar is None:
            return None
        return compute_clocks(timeline(self.arrival.created, steps), self.policy, self.calendar, self.now)


def timeline(created: datetime, steps: list[Step]) -> Timeline:
    """What the SLA clocks will see once the steps are done through the services:
    a first reply opens a new ticket, a customer message reopens a pending or solved one."""
    status, changes, messages = "new", [], []
    for step in steps:
        new = None
        if step.action == "reply":
            messages.append(TimelineEvent(at=step.at, kind="agent_reply"))
            new = "open" if status == "new" else None
        elif step.action == "customer":
            messages.append(TimelineEvent(at=step.at, kind="customer_message"))
            new = "open" if status in ("pending", "solved") else None
        elif step.action == "status":
            new = step.word
        if new and new != status:
            changes.append(TimelineEvent(at=step.at, kind="status", status=new))
            status = new
    return Timeline(created_at=created, events=changes + messages, status="new")
