"""`helpdesk mail ingest` speed from a Maildir, against a floor measured in the same run.

    python -m bench.bench_mail                  # 10k messages
    python -m bench.bench_mail --messages 2000  # quicker

Target (the email issue): ingest from a Maildir of 10k messages at ≥ 200 messages/s.
The floor is parse_message alone over the same messages (no database), so the ratio
shows what threading, storage and indexing cost. Prints a Markdown table (stdout).
"""

from __future__ import annotations

import argparse
import mailbox
import os
import random
import tempfile
import time
from pathlib import Path

from bench.common import Result, Target, markdown_table, say

TOPICS = ["printer jams", "vpn drops", "password reset", "invoice wrong", "打印机卡纸", "无法登录", "退款申请"]


def messages(count: int, seed: int = 6):
    """New mail from 5,000 senders; a third are replies (In-Reply-To an earlier one), some with attachments."""
    rng = random.Random(seed)
    for n in range(count):
        who = rng.randrange(5000)
        lines = [f"From: Customer {who} <customer{who}@example.com>", "To: support@acme.test",
                 f"Subject: {rng.choice(TOPICS)} {n}", f"Message-ID: <bench{n}@example.com>",
                 "Date: Mon, 05 Jan 2026 10:00:00 +0800", "MIME-Version: 1.0"]
        if n and rng.random() < 0.33:
            lines.append(f"In-Reply-To: <bench{rng.randrange(n)}@example.com>")
        if rng.random() < 0.1:
            lines += ['Content-Type: multipart/mixed; boundary="B"', "", "--B", "Content-Type: text/plain; charset=utf-8",
                      "", f"See attached, case {n}.", "--B", 'Content-Type: text/csv; name="log.csv"',
                      'Content-Disposition: attachment; filename="log.csv"', "", f"a,b\n{n},{who}", "--B--", ""]
        else:
            lines += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "",
                      f"Hello,\n{rng.choice(TOPICS)} again, case {n}.\n\n> quoted history\n> more"]
        yield "\r\n".join(lines).encode("utf-8")


def run(count: int) -> list[Result]:
    from helpdesk.db import open_desk
    from helpdesk.mail import parse_message
    from helpdesk.services.core.actors import ANONYMOUS, actor_of
    from helpdesk.services.core.settings import set_setting
    from helpdesk.services.mail.intake import ingest_all, messages_in
    from helpdesk.services.people import agents

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HELPDESK_ATTACHMENTS"] = str(Path(tmp) / "blobs")
        box = mailbox.Maildir(Path(tmp) / "Maildir")
        say(f"writing a Maildir of {count:,} messages")
        for raw in messages(count):
            box.add(raw)
        start = time.perf_counter()
        for _label, raw in messages_in(str(Path(tmp) / "Maildir")):
            parse_message(raw)
        floor = count / (time.perf_counter() - start)

        desk = open_desk(str(Path(tmp) / "desk.db"))

        def setup(s):
            agents.add_agent(s, ANONYMOUS, "ada@bench.example", "Ada")
            set_setting(s, actor_of(agents.get_agent(s, "ada@bench.example")), "mail.from", "support@acme.test")

        desk.write(setup)
        say("ingesting")
        start = time.perf_counter()
        results = ingest_all(desk, (raw for _label, raw in messages_in(str(Path(tmp) / "Maildir"))))
        rate = count / (time.perf_counter() - start)
        desk.close()
    actions = {a: sum(r.action == a for r in results) for a in ("created", "appended", "ignored")}
    note = ", ".join(f"{k} {v}" for k, v in actions.items()) + "; acks queued"
    return [Result("mail ingest (Maildir)", rate, floor, "messages/s", Target(200, at_most=False), note)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    print(markdown_table(run(args.messages), f"mail ingest, {args.messages:,} messages"))


if __name__ == "__main__":
    main()
