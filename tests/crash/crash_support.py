"""Crash jobs: a desk, a command that is killed part-way, and what must hold afterwards.

Each `Job` builds a desk (once; every kill gets a copy of the file), runs its command in
a child process that `killhook` SIGKILLs at a chosen database step, then judges the
desk: the file is sound, the search index agrees with the tickets, every ticket is whole
(its first event, its first message, its search row) or absent. Then the same command
runs again (in this process) and must complete the job with nothing duplicated.

Used by tests/crash/test_crash.py (a few seeded kills per job) and bench/crash.py (many).
"""

from __future__ import annotations

import mailbox
import os
import random
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy import text as sql

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WRAPPER = (f"import sys; sys.path.insert(0, {str(HERE)!r}); import killhook; killhook.install(); "
           "from helpdesk.cli import main; main()")
ADMIN = "ada@example.com"


# -- running the CLI ---------------------------------------------------------------------------

def cli(*args: str) -> tuple[int, str, str]:
    """Run the CLI in this process: (exit code, stdout, stderr)."""
    import contextlib
    import io

    from helpdesk.cli import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return code, out.getvalue(), err.getvalue()


def child(argv: list[str], *, kill_at: int = 0, count_file: Path | None = None, cwd: Path | None = None,
          extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HELPDESK_KILL_AT": str(kill_at), "PYTHONPATH": str(ROOT), **(extra_env or {})}
    env.pop("HELPDESK_KILL_COUNT", None)
    if count_file is not None:
        env["HELPDESK_KILL_COUNT"] = str(count_file)
    return subprocess.run([sys.executable, "-c", WRAPPER, *argv], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


# -- the desk as judged afterwards ---------------------------------------------------------------

def opened(db: Path):
    from helpdesk.db import open_desk

    return open_desk(str(db), migrate=False)


def whole_or_absent(db: Path) -> list[str]:
    """Violations after a kill: the file, the search index, tickets missing a part."""
    from helpdesk.services.upkeep.checks import integrity, numbers, search_disagreement

    desk = opened(db)
    try:
        with desk.read() as s:
            found = []
            check = integrity(s)
            if not check.ok:
                return [f"integrity: {check.summary}"]
            wrong = search_disagreement(s)
            if not wrong.none:
                found.append(f"search index: missing {wrong.missing[:5]}, stale {wrong.stale[:5]}, orphans {wrong.orphans[:5]}")
            bare = list(s.execute(sql("SELECT t.id FROM ticket t WHERE NOT EXISTS (SELECT 1 FROM event e WHERE "
                                      "e.ticket_id = t.id AND e.field IN ('created', 'imported'))")).scalars())
            if bare:
                found.append(f"tickets without their first event: {numbers(bare)}")
            silent = list(s.execute(sql("SELECT t.id FROM ticket t WHERE NOT EXISTS "
                                        "(SELECT 1 FROM message m WHERE m.ticket_id = t.id)")).scalars())
            if silent:
                found.append(f"tickets without their first message: {numbers(silent)}")
            return found
    finally:
        desk.close()


def scalar(db: Path, statement: str, **params):
    desk = opened(db)
    try:
        with desk.read() as s:
            return s.execute(sql(statement), params).scalar()
    finally:
        desk.close()


# -- jobs -------------------------------------------------------------------------------------------

@dataclass
class Job:
    name: str
    build: Callable[[Path, int], None]  # (folder, size): the desk at folder/desk.db and the command's input
    argv: Callable[[Path], list[str]]  # the command, given the folder
    done: Callable[[Path, int], list[str]]  # (desk file, size) after the rerun: the job complete, nothing twice


def _fresh(folder: Path) -> Path:
    db = folder / "desk.db"
    for args in (("init",), ("agent", "add", ADMIN, "--name", "Ada", "--role", "admin"),
                 ("--as", ADMIN, "team", "add", "support")):
        code, _out, err = cli("--db", str(db), *args)
        assert code == 0, err
    return db


def _tickets_from_lines(db: Path, count: int, prefix: str) -> None:
    lines = folder_file(db.parent, f"{prefix}.jsonl", "\n".join(
        f'{{"subject": "{prefix} ticket {i}", "body": "body of {prefix} {i}", "requester": "c{i % 7}@example.com"}}'
        for i in range(count)))
    code, _out, err = cli("--db", str(db), "--as", ADMIN, "ticket", "create", "--from", str(lines))
    assert code == 0, err


def folder_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _count_once(db: Path, what: str, statement: str, expected: int) -> list[str]:
    got = scalar(db, statement)
    return [] if got == expected else [f"{what}: {got}, expected {expected}"]


# import: an .xlsx sheet, rows found again by their id column on the rerun
def build_import(folder: Path, size: int) -> None:
    import openpyxl

    _fresh(folder)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "subject", "description", "requester", "status", "priority"])
    for i in range(size):
        sheet.append([f"ROW-{i}", f"Imported {i} 打印机", f"body {i}", f"p{i % 11}@example.com", "open", "normal"])
    book.save(folder / "in.xlsx")


def done_import(db: Path, size: int) -> list[str]:
    return (_count_once(db, "tickets", "SELECT count(*) FROM ticket", size)
            + _count_once(db, "distinct row ids", "SELECT count(DISTINCT external_id) FROM ticket WHERE external_id LIKE 'ROW-%'", size)
            + _count_once(db, "messages", "SELECT count(*) FROM message", size))


# JSON Lines: every line names an external id
def build_lines(folder: Path, size: int) -> None:
    _fresh(folder)
    folder_file(folder, "in.jsonl", "\n".join(
        f'{{"external_id": "L-{i}", "subject": "Line {i} 退款", "body": "line body {i}", "requester": "l{i % 9}@example.com"}}'
        for i in range(size)))


def done_lines(db: Path, size: int) -> list[str]:
    return (_count_once(db, "tickets", "SELECT count(*) FROM ticket", size)
            + _count_once(db, "distinct external ids", "SELECT count(DISTINCT external_id) FROM ticket", size)
            + _count_once(db, "messages", "SELECT count(*) FROM message", size))


# bulk update: one query, one change, every matching ticket
def build_bulk(folder: Path, size: int) -> None:
    _tickets_from_lines(_fresh(folder), size, "bulk")


def done_bulk(db: Path, size: int) -> list[str]:
    return (_count_once(db, "tickets now urgent", "SELECT count(*) FROM ticket WHERE priority = 'urgent'", size)
            + _count_once(db, "priority events", "SELECT count(*) FROM event WHERE field = 'priority'", size)
            + _count_once(db, "tickets", "SELECT count(*) FROM ticket", size))


# mail ingest: an mbox of messages from different senders
def build_mail(folder: Path, size: int) -> None:
    _fresh(folder)
    box = mailbox.mbox(folder / "in.mbox")
    for i in range(size):
        msg = EmailMessage()
        msg["From"] = f"Sender {i} <s{i}@example.org>"
        msg["To"] = "support@example.com"
        msg["Subject"] = f"Mail {i} 无法登录"
        msg["Message-ID"] = f"<m{i}@example.org>"
        msg["Date"] = "Mon, 07 Dec 2026 10:00:00 +0000"
        msg.set_content(f"mail body {i}")
        box.add(msg)
    box.close()


def done_mail(db: Path, size: int) -> list[str]:
    return (_count_once(db, "tickets", "SELECT count(*) FROM ticket", size)
            + _count_once(db, "distinct mail subjects", "SELECT count(DISTINCT subject) FROM ticket", size)
            + _count_once(db, "messages", "SELECT count(*) FROM message", size))


# rules run: an automation that matches every ticket
RULES = '''
[[automations]]
name = "sweep new"
when = "status:new -tag:swept"
actions = { add_tags = ["swept"], priority = "high" }
'''


def build_rules(folder: Path, size: int) -> None:
    db = _fresh(folder)
    _tickets_from_lines(db, size, "rules")
    code, _out, err = cli("--db", str(db), "--as", ADMIN, "rules", "load", str(folder_file(folder, "rules.toml", RULES)))
    assert code == 0, err


def done_rules(db: Path, size: int) -> list[str]:
    return (_count_once(db, "tickets tagged", "SELECT count(*) FROM ticket_tag WHERE tag = 'swept'", size)
            + _count_once(db, "tickets raised", "SELECT count(*) FROM ticket WHERE priority = 'high'", size)
            + _count_once(db, "priority events", "SELECT count(*) FROM event WHERE field = 'priority'", size))


# migration: a desk written by an old helpdesk (revision 0005), opened by this one
OLD_REVISION = "0005"


def build_migration(folder: Path, size: int) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from helpdesk import search
    from helpdesk.db import alembic_config

    engine = create_engine(f"sqlite:///{folder / 'desk.db'}")
    cfg = alembic_config()
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, OLD_REVISION)
    with engine.begin() as conn:
        conn.execute(sql("INSERT INTO agent (id, email, name, role, skills, active, created_at, away, routed_turn) "
                         "VALUES (1, :e, 'Ada', 'admin', '[]', 1, '2026-03-01 00:00:00', 0, 0)"), {"e": ADMIN})
        for i in range(1, size + 1):
            conn.execute(sql("INSERT INTO ticket (id, subject, status, priority, channel, fields, created_at, updated_at, "
                             "version) VALUES (:i, :s, 'open', 'normal', 'email', '{}', '2026-03-02 01:00:00', "
                             "'2026-03-02 05:00:00', 2)"), {"i": i, "s": f"Old {i}"})
            conn.execute(sql("INSERT INTO message (ticket_id, kind, author_agent_id, body, headers, created_at) "
                             "VALUES (:i, 'reply', NULL, :b, '{}', '2026-03-02 01:00:00')"), {"i": i, "b": f"old body {i}"})
            conn.execute(sql("INSERT INTO message (ticket_id, kind, author_agent_id, body, headers, created_at) "
                             "VALUES (:i, 'reply', 1, 'answer', '{}', '2026-03-02 02:00:00')"), {"i": i})
            conn.execute(sql("INSERT INTO event (ticket_id, entity, entity_id, at, actor, field, new) "
                             "VALUES (:i, 'ticket', :i, '2026-03-02 01:00:00', 'ada', 'created', :s)"), {"i": i, "s": f"Old {i}"})
            conn.execute(sql(f"INSERT INTO {search.TABLE} (rowid, doc) VALUES (:i, :d)"),
                         {"i": i, "d": search.index_text(f"Old {i}\n\n\nold body {i}\nanswer")})
    engine.dispose()


def done_migration(db: Path, size: int) -> list[str]:
    from helpdesk.migrations import HEAD

    revision = scalar(db, "SELECT version_num FROM alembic_version")
    return ([] if revision == HEAD else [f"revision {revision}, expected {HEAD}"]) + (
        _count_once(db, "tickets", "SELECT count(*) FROM ticket", size)
        + _count_once(db, "tickets with their reply counted", "SELECT count(*) FROM ticket WHERE agent_replies = 1", size))


def _as(folder: Path, *args: str) -> list[str]:
    return ["--db", str(folder / "desk.db"), "--as", ADMIN, *args]


JOBS = {
    "import": Job("import", build_import, lambda f: _as(f, "import", str(f / "in.xlsx")), done_import),
    "bulk": Job("bulk", build_bulk, lambda f: _as(f, "ticket", "bulk", "status:new", "--set", "priority=urgent", "--yes"), done_bulk),
    "lines": Job("lines", build_lines, lambda f: _as(f, "ticket", "create", "--from", str(f / "in.jsonl")), done_lines),
    "mail": Job("mail", build_mail, lambda f: _as(f, "mail", "ingest", str(f / "in.mbox")), done_mail),
    "rules": Job("rules", build_rules, lambda f: _as(f, "rules", "run"), done_rules),
    "migration": Job("migration", build_migration, lambda f: _as(f, "ticket", "list", "--limit", "1"), done_migration),
}


# -- one kill ------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    job: str
    point: int
    killed: bool
    violations: list[str] = field(default_factory=list)


def template(job: Job, folder: Path, size: int) -> tuple[Path, int]:
    """Build the job's desk once and count the steps of a whole run (on a copy)."""
    folder.mkdir(parents=True, exist_ok=True)
    job.build(folder, size)
    trial = copy_desk(folder, folder.parent / f"{job.name}-count")
    counted = trial / "steps"
    done = child(job.argv(trial), count_file=counted)
    assert done.returncode == 0, done.stderr
    return folder, int(counted.read_text())


def copy_desk(template_folder: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(template_folder, target, ignore=shutil.ignore_patterns("*.before-*", "*-count", "steps"))
    return target


def job_done(job: Job, db: Path, size: int) -> list[str]:
    """Violations once the job ran to its end: the desk whole, the job complete, nothing twice."""
    return whole_or_absent(db) + job.done(db, size)


def kill_once(job: Job, template_folder: Path, size: int, point: int, work: Path) -> Outcome:
    """Copy the desk, run the job killed at `point`, judge, rerun, judge again."""
    folder = copy_desk(template_folder, work)
    db = folder / "desk.db"
    argv = job.argv(folder)
    run = child(argv, kill_at=point)
    outcome = Outcome(job.name, point, run.returncode == -signal.SIGKILL)
    if not outcome.killed and run.returncode != 0:
        outcome.violations.append(f"the killed run failed by itself ({run.returncode}): {run.stderr.strip()[-300:]}")
    outcome.violations += [f"after the kill: {v}" for v in whole_or_absent(db)]
    code, _out, err = cli(*argv)
    if code != 0:
        outcome.violations.append(f"the rerun failed ({code}): {err.strip()[-300:]}")
    outcome.violations += [f"after the rerun: {v}" for v in job_done(job, db, size)]
    return outcome


def points(seed: int, job: str, steps: int, count: int) -> list[int]:
    """`count` seeded kill points in a run of `steps` steps: 1 .. steps + 1, the last being
    "after the last commit" (the job done, its answer never printed)."""
    rng = random.Random(f"{seed}:{job}")
    return sorted(rng.randint(1, steps + 1) for _ in range(count))


def shares(total: int, jobs: list[str]) -> dict[str, int]:
    """`total` kills spread over the jobs as evenly as they go."""
    return {name: total // len(jobs) + (1 if i < total % len(jobs) else 0) for i, name in enumerate(jobs)}
