"""The knowledge base (issue 14), each against a floor measured in the same run.

    python -m bench.bench_kb                     # 10,000 published articles
    python -m bench.bench_kb --articles 2000     # a smaller knowledge base

1. `kb search` of a two-character Chinese word (`articles.search_articles`, in process,
   a read transaction each, the Article rows loaded): p95 ≤ 50 ms over the 240 topic words
   and 60 general words of the vocabulary. Floor: the same FTS5 MATCH with bm25 order and
   LIMIT 20 through plain sqlite3, ids only.
2. `kb suggest` for a ticket (`suggest.suggest_for_ticket`: the ticket's subject and first
   public messages -> OR query -> re-rank): p95 ≤ 100 ms over 200 generated tickets.
   Floor: the same OR query (the ticket's 12 rarest words, worked out beforehand) with
   bm25 order and LIMIT 5 through plain sqlite3.

Articles: 10,000 published, one of the 30 topics of `bench/dataset.py` each; 60% Chinese,
30% English, 10% Chinese with English product words; a title of 2-5 words and a body of
120-400 words drawn with the same Zipf skew as the tickets, in Markdown paragraphs and lists.
They are inserted with the ORM and indexed with `kb_search.store`, as `add_article` would.

Prints a Markdown table (stdout); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import platform
import random
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import Result, Target, markdown_table, p95, say, timings
from bench.dataset import GENERAL_CN, GENERAL_EN, STOP_CN, STOP_EN, TOPICS, _zipf

SEARCH_RUNS = 300
SUGGEST_TICKETS = 200


def _words(rng, topic: list[str], general: list[str], stop: list[str], n: int) -> list[str]:
    tw, tweights = _zipf(topic, 0.8)
    gw, gweights = _zipf(general, 1.0)
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.35:
            out.append(rng.choices(tw, tweights)[0])
        elif roll < 0.75:
            out.append(rng.choices(gw, gweights)[0])
        else:
            out.append(rng.choice(stop))
    return out


def text_of(rng, topic: int, lang: str, n: int) -> str:
    _, en, cn = TOPICS[topic]
    if lang == "en":
        return " ".join(_words(rng, en.split(), GENERAL_EN, STOP_EN, n))
    words = _words(rng, cn.split(), GENERAL_CN, STOP_CN, n)
    if lang == "mixed":
        for i in range(0, len(words), 7):
            words[i] = f" {rng.choice(en.split())} "
    return "".join(words)


def article_text(rng) -> tuple[str, str, str]:
    topic = rng.randrange(len(TOPICS))
    lang = rng.choices(("cn", "en", "mixed"), (60, 30, 10))[0]
    title = text_of(rng, topic, lang, rng.randint(2, 5)).strip()
    paragraphs = []
    left = rng.randint(120, 400)
    while left > 0:
        n = min(left, rng.randint(20, 60))
        left -= n
        para = text_of(rng, topic, lang, n)
        paragraphs.append(f"1. {para}" if rng.random() < 0.3 else para)
    heading = "## 步骤" if lang != "en" else "## Steps"
    return TOPICS[topic][0], title, heading + "\n\n" + "\n\n".join(paragraphs)


def build(path: Path, count: int, tickets: int, seed: int = 14):
    """A desk with `count` published articles and `tickets` tickets to suggest for."""
    from helpdesk.db import open_desk
    from helpdesk.models import Article, utcnow
    from helpdesk.services.core.actors import ANONYMOUS, actor_of
    from helpdesk.services.customers import kb_search
    from helpdesk.services.people.agents import add_agent
    from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket

    rng = random.Random(seed)
    desk = open_desk(str(path))
    admin = desk.write(lambda s: actor_of(add_agent(s, ANONYMOUS, "ada@example.com", "Ada")))
    now = utcnow()
    for start in range(0, count, 1000):
        def batch(s, start=start):
            rows = []
            for i in range(start, min(count, start + 1000)):
                category, title, body = article_text(rng)
                at = now - timedelta(minutes=count - i)
                rows.append(Article(title=title[:300], body=body, category=category, state="published", author_id=admin.agent_id,
                                    created_at=at, updated_at=at, published_at=at))
            s.add_all(rows)
            s.flush()
            kb_search.store(s, [(a.id, a.title, a.body) for a in rows])
        desk.write(batch)
    say(f"  {count:,} articles written")
    ids = []
    for _ in range(tickets):
        _, subject, body = article_text(rng)
        subject = subject[:80] or "help"
        body = body.split("\n\n", 2)[1][:600]
        ids.append(desk.write(lambda s, subject=subject, body=body: create_ticket(
            s, admin, NewTicket(subject=subject, body=body, requester="ann@example.com")).id))
    return desk, admin, ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Knowledge-base search and suggestions (issue 14).")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=SUGGEST_TICKETS)
    args = parser.parse_args(argv)

    from helpdesk import search
    from helpdesk.services.customers import kb_search
    from helpdesk.services.customers.articles import search_articles
    from helpdesk.services.customers.suggest import suggest_for_ticket, ticket_texts

    with tempfile.TemporaryDirectory(prefix="bench-kb-") as tmp:
        path = Path(tmp) / "kb.db"
        say(f"building {args.articles:,} published articles and {args.tickets} tickets")
        started = time.perf_counter()
        desk, admin, tickets = build(path, args.articles, args.tickets)
        say(f"  built in {time.perf_counter() - started:.1f} s")
        plain = sqlite3.connect(str(path))
        words = [w for _, _, cn in TOPICS for w in cn.split()] + GENERAL_CN[:60]
        rng = random.Random(7)
        order = [rng.choice(words) for _ in range(SEARCH_RUNS)]
        floor_sql = ("SELECT rowid FROM kb_search WHERE kb_search MATCH ? "
                     f"ORDER BY bm25(kb_search, {kb_search.TITLE_WEIGHT}, 1.0) LIMIT 20")

        say(f"search: {SEARCH_RUNS} two-character Chinese words, service vs plain FTS5")
        it = iter(order * 3)

        def service_search():
            with desk.read() as s:
                search_articles(s, admin, next(it), limit=20)

        it_floor = iter(order * 3)

        def floor_search():
            plain.execute(floor_sql, (search.fts_query(next(it_floor)),)).fetchall()

        served = timings(service_search, SEARCH_RUNS, warmup=len(words) // 4)
        floor = timings(floor_search, SEARCH_RUNS, warmup=len(words) // 4)
        hits = [plain.execute("SELECT count(*) FROM kb_search WHERE kb_search MATCH ?", (search.fts_query(w),)).fetchone()[0]
                for w in words]
        results = [Result("`kb search` of a two-character Chinese word (p95)", p95(served) * 1000, p95(floor) * 1000, "ms",
                          Target(50), note=f"median {sorted(served)[len(served) // 2] * 1000:.1f} ms; a word is in "
                                           f"{min(hits):,}-{max(hits):,} articles")]

        say(f"suggest: {len(tickets)} tickets, service vs plain FTS5 OR query")
        with desk.read() as s:
            queries = {}
            for n in tickets:  # the words the service would look for, worked out beforehand
                texts = ticket_texts(s, n)
                chosen = kb_search.telling_terms(s, kb_search.related_terms(texts), len(kb_search.related_terms(texts[:1])))
                queries[n] = " OR ".join(f'"{t}"' for t in chosen)
        tick = iter(tickets * 3)

        def service_suggest():
            with desk.read() as s:
                suggest_for_ticket(s, admin, next(tick))

        tick_floor = iter(tickets * 3)
        floor_or = ("SELECT rowid FROM kb_search WHERE kb_search MATCH ? "
                    f"ORDER BY bm25(kb_search, {kb_search.TITLE_WEIGHT}, 1.0) LIMIT 5")

        def floor_suggest():
            q = queries[next(tick_floor)]
            if q:
                plain.execute(floor_or, (q,)).fetchall()

        served = timings(service_suggest, len(tickets), warmup=20)
        floor = timings(floor_suggest, len(tickets), warmup=20)
        terms = [q.count(" OR ") + 1 for q in queries.values() if q]
        results.append(Result("`kb suggest` for a ticket (p95)", p95(served) * 1000, p95(floor) * 1000, "ms", Target(100),
                              note=f"median {sorted(served)[len(served) // 2] * 1000:.1f} ms; {min(terms)}-{max(terms)} "
                                   f"words ORed per ticket"))
        plain.close()
        desk.close()

    print(markdown_table(results, f"Knowledge base: {args.articles:,} published articles "
                                  f"(Python {platform.python_version()}, SQLite {sqlite3.sqlite_version})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
