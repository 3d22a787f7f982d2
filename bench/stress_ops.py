"""One stress process: a seeded mix of operations on a shared desk, each logged.

A driver is either `service` (calls the service functions in its own process, as
the app and the worker do) or `cli` (runs `helpdesk` commands: mostly in-process
through `helpdesk.cli.run`, every `subprocess_every`-th as a real subprocess).
Both also speak to the portal app in-process (Starlette's TestClient) and ingest
generated mail through the intake service.

Each operation appends one JSON line to the process's log: what it did, via which
door, ok or refused (and with which error), the latency, the busy retries it took,
and what the checker needs to find its effect again: the tickets and versions it
returned, the unique token it wrote (custom field `stress`, a body text, a
Message-ID, an external id).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from bench import stress_desk

KINDS = {  # operation -> weight in the mix
    "create": 18, "reply": 12, "update_if": 22, "bulk": 4, "route": 3, "solve": 6,
    "mail": 10, "import": 2, "portal_request": 6, "portal_reply": 6, "portal_survey": 5,
}
HOT = 12  # updates with --if-version pick among the latest HOT tickets: conflicts guaranteed
DUPLICATE_MAILS = 15  # a mail op re-delivers one of these shared Message-IDs one time in five
STATUSES = ("open", "pending", "on_hold", "open", "solved")
PRIORITIES = ("low", "normal", "high", "urgent", "normal")
SUBJECTS = ("printer jam on floor 3", "VPN drops every hour", "invoice shows the wrong VAT",
            "打印机卡纸", "laptop will not boot", "password reset for the portal", "退款申请")


class Refused(Exception):
    """An expected refusal: a typed error (conflict, invalid, not found, ...) or a 4xx."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


@dataclass
class Outcome:
    tickets: dict[int, int | None] = field(default_factory=dict)  # ticket -> version after, when known
    extra: dict = field(default_factory=dict)


def error_kind(exc: BaseException) -> str | None:
    from helpdesk.errors import Conflict, Forbidden, Invalid, NotFound

    for cls, name in ((Conflict, "conflict"), (Invalid, "invalid"), (NotFound, "not_found"),
                      (Forbidden, "forbidden")):
        if isinstance(exc, cls):
            return name
    return None


EXIT_KINDS = {3: "not_found", 4: "conflict", 5: "invalid", 6: "forbidden"}


class Driver:
    def __init__(self, url: str, proc: int, kind: str, ops: int, seed: int, log: Path,
                 subprocess_every: int = 10):
        from helpdesk.db import open_desk

        self.url, self.proc, self.kind, self.ops = url, proc, kind, ops
        self.rng = random.Random(seed * 1000 + proc)
        self.desk = open_desk(url, migrate=False)
        self.log = open(log, "a", encoding="utf-8")
        self.subprocess_every = subprocess_every
        self.mine: dict[int, str] = {}  # tickets this process made -> requester email
        self.n = 0
        self.agents = [a[0] for a in stress_desk.AGENTS]
        self._portal = None
        self.tmp = log.parent / f"tmp-p{proc}"
        self.tmp.mkdir(exist_ok=True)
        from helpdesk.services.core.actors import actor_of
        from helpdesk.services.people.agents import get_agent

        with self.desk.read() as s:
            self.actors = {email: actor_of(get_agent(s, email)) for email in self.agents + [stress_desk.ADMIN]}

    # -- the loop --------------------------------------------------------------------------

    def run(self, deadline: float | None = None) -> None:
        """`ops` operations, or fewer if the wall-clock `deadline` (time.time()) comes first."""
        names, weights = zip(*KINDS.items())
        for self.n in range(self.ops):
            if deadline is not None and time.time() > deadline:
                break
            op = self.rng.choices(names, weights)[0]
            self.one(op)
        self.log.close()

    def one(self, op: str) -> None:
        import helpdesk.db as db

        token = f"p{self.proc}-{self.n}"
        via = self._via(op)
        record = {"p": self.proc, "i": self.n, "op": op, "via": via, "token": token}
        before = db.busy_retries
        start = time.perf_counter()
        try:
            outcome = getattr(self, f"op_{op}")(token, via, record)
            record["ok"] = True
            record["tickets"] = {str(k): v for k, v in outcome.tickets.items()}
            record.update(outcome.extra)
        except Refused as exc:
            record.update(ok=False, error=exc.kind, msg=exc.message[:300])
        except Exception as exc:  # noqa: BLE001 - a typed error is a refusal; anything else is a crash
            kind = error_kind(exc)
            if kind is None:
                traceback.print_exc()
                kind = "crash"
            record.update(ok=False, error=kind, msg=f"{type(exc).__name__}: {exc}"[:300])
        record["ms"] = round((time.perf_counter() - start) * 1000, 2)
        record["retries"] = db.busy_retries - before
        self.log.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.log.flush()

    def _via(self, op: str) -> str:
        if op.startswith("portal"):
            return "portal"
        if op == "mail" or self.kind == "service":
            return "service" if op != "mail" or self.kind == "service" else "cli"
        return "subprocess" if self.n % self.subprocess_every == 0 else "cli"

    # -- helpers ---------------------------------------------------------------------------

    def agent(self) -> str:
        return self.rng.choice(self.agents)

    def some_ticket(self, hot: bool = False) -> int | None:
        from sqlalchemy import func, select

        from helpdesk.models import Ticket

        with self.desk.read() as s:
            top = s.execute(select(func.max(Ticket.id))).scalar()
        if not top:
            return None
        if hot:
            return self.rng.randint(max(1, top - HOT + 1), top)
        return self.rng.randint(1, top)

    def version_of(self, ticket_id: int) -> int | None:
        from helpdesk.models import Ticket

        with self.desk.read() as s:
            t = s.get(Ticket, ticket_id)
            return t.version if t else None

    def write(self, fn):
        return self.desk.write(fn)

    def cli(self, via: str, who: str | None, *args: str, stdin: str | None = None) -> str:
        """Run a helpdesk command; stdout on exit 0, else Refused (exit 3-6) or a crash (1, 2, other)."""
        argv = ["--db", self.url] + (["--as", who] if who else []) + list(args)
        if via == "subprocess":
            proc = subprocess.run([sys.executable, "-m", "helpdesk", *argv], input=stdin, capture_output=True,
                                  text=True, timeout=300)
            code, out, err = proc.returncode, proc.stdout, proc.stderr
        else:
            from helpdesk.cli import run

            out_buf, err_buf = io.StringIO(), io.StringIO()
            old_in = sys.stdin
            if stdin is not None:
                sys.stdin = io.StringIO(stdin)
            try:
                with contextlib.redirect_stdout(out_buf), contextlib.redirect_stderr(err_buf):
                    code = run(argv)
            finally:
                sys.stdin = old_in
            out, err = out_buf.getvalue(), err_buf.getvalue()
        if err.strip() and code == 0:
            sys.stderr.write(err)  # warnings go to this process's stderr, which is scanned
        if code == 0:
            return out
        if code in EXIT_KINDS:
            raise Refused(EXIT_KINDS[code], err.strip()[-300:])
        sys.stderr.write(f"helpdesk {' '.join(args[:3])} exited {code}:\n{err}\n")
        raise Refused("crash", f"exit {code}: {err.strip()[-300:]}")

    @staticmethod
    def versions(doc: dict) -> dict[int, int]:
        tickets = doc.get("tickets", [doc])
        return {t["id"]: t["version"] for t in tickets}

    # -- operations ------------------------------------------------------------------------

    def op_create(self, token: str, via: str, record: dict) -> Outcome:
        subject = f"{self.rng.choice(SUBJECTS)} {token}"
        requester = f"c{self.rng.randint(1, 40)}@cust.test"
        team = self.rng.choice(["support", "billing", "support", None])
        priority = self.rng.choice(PRIORITIES)
        body = f"Please help ({token})."
        if via == "service":
            from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket

            t = self.write(lambda s: create_ticket(s, self.actors[self.agent()], NewTicket(
                subject=subject, body=body, requester=requester, team=team, priority=priority)))
            tid, version = t.id, t.version
        else:
            args = ["ticket", "create", "--subject", subject, "--body", body, "--requester", requester,
                    "--priority", priority, "--json"] + (["--team", team] if team else [])
            doc = json.loads(self.cli(via, self.agent(), *args))
            tid, version = doc["id"], doc["version"]
        self.mine[tid] = requester
        return Outcome({tid: version}, {"subject": subject})

    def op_reply(self, token: str, via: str, record: dict) -> Outcome:
        tid = self.some_ticket()
        if tid is None:
            raise Refused("no_ticket", "nothing to reply to yet")
        record["ticket"] = tid
        body = f"Looking into it ({token})."
        kind = self.rng.choice(["reply", "reply", "note"])
        record["kind"] = kind
        if via == "service":
            from helpdesk.services.tickets.conversation import post_agent_message

            def write(s):
                message, _ = post_agent_message(s, self.actors[self.agent()], tid, body, kind=kind)
                from helpdesk.models import Ticket
                return message.id, s.get(Ticket, tid).version
            mid, version = self.write(write)
            return Outcome({tid: version}, {"body": body, "message": mid})
        doc = json.loads(self.cli(via, self.agent(), "ticket", kind, str(tid), "--body", body, "--json"))
        return Outcome(self.versions(doc), {"body": body})

    def op_update_if(self, token: str, via: str, record: dict) -> Outcome:
        tid = self.some_ticket(hot=True)
        if tid is None:
            raise Refused("no_ticket", "nothing to update yet")
        version = self.version_of(tid)
        if version is None:  # PostgreSQL: a number a rolled-back create took
            raise Refused("no_ticket", f"no ticket #{tid}")
        record.update(ticket=tid, if_version=version)
        status = self.rng.choice(STATUSES + (None, None))
        priority = self.rng.choice(PRIORITIES + (None,))
        assignee = self.rng.choice(self.agents) if self.rng.random() < 0.15 else None
        record["set"] = {"status": status, "priority": priority, "assignee": assignee}
        if via == "service":
            from helpdesk.models import Ticket
            from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket

            def write(s):
                wanted = {k: v for k, v in (("status", status), ("priority", priority), ("assignee", assignee)) if v}
                update_ticket(s, self.actors[self.agent()], tid, TicketChanges(fields={"stress": token}, **wanted),
                              if_version=version)
                return s.get(Ticket, tid).version
            return Outcome({tid: self.write(write)})
        args = ["ticket", "update", str(tid), "--if-version", str(version), "--field", f"stress={token}", "--json"]
        args += ["--status", status] if status else []
        args += ["--priority", priority] if priority else []
        args += ["--assignee", assignee] if assignee else []
        return Outcome(self.versions(json.loads(self.cli(via, self.agent(), *args))))

    def op_bulk(self, token: str, via: str, record: dict) -> Outcome:
        requester = f"c{self.rng.randint(1, 40)}@cust.test"
        query = f"requester:{requester} status:new,open,pending"
        sets = [f"field.bulk={token}", f"add-tag=bulk-{self.rng.randint(1, 5)}"]
        record["query"] = query
        if via == "service":
            from helpdesk.models import Ticket
            from helpdesk.services.tickets.bulk import matching_ids, parse_assignments, update_many

            actor = self.actors[self.agent()]

            def write(s):
                ids = matching_ids(s, actor, query)
                result = update_many(s, actor, ids, parse_assignments(sets))
                return {tid: s.get(Ticket, tid).version for tid in result.changed}
            return Outcome(self.write(write))
        out = self.cli(via, self.agent(), "ticket", "bulk", query, *[a for x in sets for a in ("--set", x)],
                       "--yes", "--json")
        doc = json.loads(out)
        return Outcome(self.versions(doc) if doc.get("tickets") else {})

    def op_route(self, token: str, via: str, record: dict) -> Outcome:
        if via == "service":
            from helpdesk.services.workflow.routing import route

            done = self.write(lambda s: route(s))
            record["assigned"] = [[a.ticket_id, a.agent] for a in done]
            return Outcome({a.ticket_id: None for a in done})
        out = self.cli(via, stress_desk.ADMIN, "route", "--json")
        return Outcome({}, {"out": out[:200]})

    def op_solve(self, token: str, via: str, record: dict) -> Outcome:
        tid = self.some_ticket()
        if tid is None:
            raise Refused("no_ticket", "nothing to solve yet")
        record["ticket"] = tid
        if via == "service":
            from helpdesk.models import Ticket
            from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket

            def write(s):
                update_ticket(s, self.actors[self.agent()], tid, TicketChanges(status="solved",
                                                                              fields={"stress": token}))
                return s.get(Ticket, tid).version
            return Outcome({tid: self.write(write)})
        doc = json.loads(self.cli(via, self.agent(), "ticket", "update", str(tid), "--status", "solved",
                                  "--field", f"stress={token}", "--json"))
        return Outcome(self.versions(doc))

    def op_mail(self, token: str, via: str, record: dict) -> Outcome:
        from email.message import EmailMessage
        from email.utils import format_datetime

        from helpdesk.models import utcnow

        msg = EmailMessage()
        roll = self.rng.random()
        mine = [t for t in self.mine if t]
        if roll < 0.2:
            message_id = f"<dup-{self.rng.randint(1, DUPLICATE_MAILS)}@mail.stress.test>"
            msg["From"] = f"Dup Sender <dup{message_id[5:-18]}@cust.test>"
            msg["Subject"] = f"Same mail twice {message_id}"
            record["duplicate"] = True
        elif roll < 0.55 and mine:
            tid = self.rng.choice(mine)
            message_id = f"<{token}@mail.stress.test>"
            msg["From"] = self.mine[tid]
            msg["Subject"] = f"Re: [#{tid}] still broken"
            record["ticket"] = tid
        else:
            message_id = f"<{token}@mail.stress.test>"
            msg["From"] = f"Mail Customer <m{self.rng.randint(1, 30)}@cust.test>"
            msg["Subject"] = f"{self.rng.choice(SUBJECTS)} by mail {token}"
        msg["To"] = "desk@stress.test"
        msg["Message-ID"] = message_id
        msg["Date"] = format_datetime(utcnow())
        msg.set_content(f"Mail body {token}\n")
        raw = bytes(msg)
        record["message_id"] = message_id
        if via == "service":
            from helpdesk.services.mail.intake import ingest

            result = self.write(lambda s: ingest(s, raw))
            record["action"] = result.action
            if result.ticket is None or result.action not in ("created", "appended"):
                return Outcome({}, {"reason": result.reason})
            return Outcome({result.ticket: self.version_of(result.ticket)})
        path = self.tmp / f"{token}.eml"
        path.write_bytes(raw)
        out = self.cli(via, None, "mail", "ingest", str(path), "--json")
        doc = json.loads(out)
        results = doc if isinstance(doc, list) else doc.get("results", [])
        record["out"] = out[:300] if not results else None
        return Outcome({r["ticket"]: None for r in results
                        if r.get("ticket") and r.get("action") in ("created", "appended")})

    def op_import(self, token: str, via: str, record: dict) -> Outcome:
        rows = [(f"{token}-{k}", f"Imported {self.rng.choice(SUBJECTS)} {token}-{k}", f"imp{self.rng.randint(1, 20)}@cust.test",
                 self.rng.choice(["new", "open", "pending"]), self.rng.choice(PRIORITIES)) for k in range(3)]
        path = self.tmp / f"{token}.csv"
        path.write_text("Ticket ID,Subject,Email,Status,Priority,Description\n" +
                        "".join(f"{x},{s},{e},{st},{p},body of {x}\n" for x, s, e, st, p in rows), encoding="utf-8")
        record["external_ids"] = [r[0] for r in rows]
        if via == "service":
            from helpdesk.services.imports.run import open_import, run_import

            report = run_import(self.desk, self.actors[stress_desk.ADMIN], open_import(path))
            if report.created != 3:
                raise Refused("crash", f"import created {report.created} of 3: {report.errors}")
        else:
            doc = json.loads(self.cli(via, stress_desk.ADMIN, "import", str(path), "--json"))
            if doc.get("created") != 3:
                raise Refused("crash", f"import created {doc.get('created')} of 3: {doc.get('errors')}")
        return Outcome({})

    # -- the portal --------------------------------------------------------------------------

    def client(self):
        import warnings

        warnings.filterwarnings("ignore", message=".*httpx.*")
        from starlette.testclient import TestClient

        if self._portal is None:
            from helpdesk.portal.app import create_app

            self._portal = create_app(self.desk, base_url="http://testserver")
        ip = f"10.{self.proc}.{self.n // 250}.{self.n % 250 + 1}"  # customers from many addresses
        return TestClient(self._portal, base_url="http://testserver", client=(ip, 40000))

    @staticmethod
    def csrf(c, path: str) -> str:
        import re

        r = c.get(path)
        if r.status_code != 200:
            raise Refused("crash", f"GET {path} answered {r.status_code}")
        return re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)

    def posted(self, c, path: str, data: dict):
        r = c.post(path, data={"csrf": self.csrf(c, path)} | data, follow_redirects=False)
        if r.status_code >= 500:
            raise Refused("crash", f"POST {path} answered {r.status_code}: {r.text[:200]}")
        if r.status_code == 429:
            raise Refused("limited", f"POST {path}: 429")
        if r.status_code == 409:
            raise Refused("conflict", f"POST {path}: 409")
        if r.status_code >= 400:
            raise Refused("invalid", f"POST {path} answered {r.status_code}")
        return r

    def op_portal_request(self, token: str, via: str, record: dict) -> Outcome:
        from sqlalchemy import select

        from helpdesk.models import Contact, Ticket

        email = f"web-{token}@cust.test"
        c = self.client()
        r = self.posted(c, "/request", {"name": f"Web {token}", "email": email,
                                        "subject": f"Web request {token}", "body": f"From the portal {token}"})
        if r.status_code != 200:
            raise Refused("crash", f"POST /request answered {r.status_code}")
        with self.desk.read() as s:
            ids = s.execute(select(Ticket.id).join(Contact, Contact.id == Ticket.requester_id)
                            .where(Contact.email == email)).scalars().all()
        if len(ids) != 1:
            raise Refused("crash", f"the portal request made {len(ids)} tickets")
        self.mine[ids[0]] = email
        return Outcome({ids[0]: self.version_of(ids[0])})

    def op_portal_reply(self, token: str, via: str, record: dict) -> Outcome:
        from helpdesk.services.customers.portal_links import make_token

        tid = self.some_ticket()
        if tid is None:
            raise Refused("no_ticket", "nothing to reply to yet")
        record["ticket"] = tid
        link = self.write(lambda s: make_token(s, tid))
        c = self.client()
        if c.get(f"/t/{link}").status_code == 404:  # PostgreSQL: a number whose create is not committed yet
            raise Refused("not_found", f"no ticket #{tid} yet")
        body = f"Customer answer via the portal ({token})."
        r = self.posted(c, f"/t/{link}", {"body": body})
        if r.status_code != 303:
            raise Refused("invalid", f"POST /t answered {r.status_code}")
        done = r.headers["location"].rsplit("done=", 1)[-1]
        record["done"] = done
        return Outcome({tid: None}, {"body": body if done == "reply_sent" else None})

    def op_portal_survey(self, token: str, via: str, record: dict) -> Outcome:
        from sqlalchemy import select

        from helpdesk.models import Ticket
        from helpdesk.services.customers.portal_links import make_token

        with self.desk.read() as s:
            solved = s.execute(select(Ticket.id).where(Ticket.status == "solved").order_by(Ticket.id.desc())
                               .limit(20)).scalars().all()
        if not solved:
            raise Refused("no_ticket", "nothing solved yet")
        tid = self.rng.choice(solved)
        record["ticket"] = tid
        link = self.write(lambda s: make_token(s, tid, "s"))
        rating = self.rng.choice(["good", "bad"])
        c = self.client()
        r = self.posted(c, f"/survey/{link}", {"rating": rating, "comment": f"survey {token}"})
        if r.status_code != 303:
            raise Refused("invalid", f"POST /survey answered {r.status_code}")
        return Outcome({}, {"rating": rating, "comment": f"survey {token}"})


# -- the worker ---------------------------------------------------------------------------

def work(url: str, proc: int, log: Path, stop_file: Path) -> None:
    """Run every background job again and again until the drivers are done, then once more."""
    import helpdesk.db as db
    from helpdesk import scheduler
    from helpdesk.db import open_desk

    desk = open_desk(url, migrate=False)
    out = open(log, "a", encoding="utf-8")
    i, last = 0, False
    while True:
        last = stop_file.exists()
        before, start = db.busy_retries, time.perf_counter()
        results = scheduler.run_once(desk)
        failed = {k: v for k, v in results.items() if isinstance(v, dict) and "error" in v}
        sweep = results.get("sla-sweep") or {}
        out.write(json.dumps({"p": proc, "i": i, "op": "worker", "via": "service", "ok": not failed,
                              "error": "crash" if failed else None, "msg": json.dumps(failed)[:300] if failed else None,
                              "warnings": sweep.get("warnings"), "breaches": sweep.get("breaches"),
                              "final": last, "ms": round((time.perf_counter() - start) * 1000, 2),
                              "retries": db.busy_retries - before, "at": time.time()}) + "\n")
        out.flush()
        i += 1
        if last:
            break
        time.sleep(1.0)  # a worker's pace (the real `helpdesk worker` beside it runs every second too)
    out.close()
    desk.close()


def main_child(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--proc", type=int, required=True)
    p.add_argument("--kind", choices=["service", "cli", "worker"], required=True)
    p.add_argument("--ops", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--log", required=True)
    p.add_argument("--stop-file")
    p.add_argument("--subprocess-every", type=int, default=10)
    p.add_argument("--deadline", type=float, help="stop starting operations at this time.time()")
    a = p.parse_args(argv)
    os.environ.pop("HELPDESK_AGENT", None)
    if a.kind == "worker":
        work(a.url, a.proc, Path(a.log), Path(a.stop_file))
    else:
        Driver(a.url, a.proc, a.kind, a.ops, a.seed, Path(a.log), a.subprocess_every).run(a.deadline)
    return 0
