"""The knowledge base's full-text index (`kb_search`): the same text normalisation as
tickets (`helpdesk.search`: CJK bigrams, mixed Chinese/English), its own table.

SQLite: an FTS5 table of two columns (title, body) whose rowid is the article id,
ranked with bm25 (a title hit counts four times a body hit). PostgreSQL: a tsvector
with the title at weight A and the body at weight B, ranked with ts_rank.

Two kinds of query: `search` (a user's phrase, every part must match, as in ticket
search) and `related` (a ticket's words, any may match, best first: `kb suggest`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam
from sqlalchemy import text as sql

from helpdesk import search

TABLE = "kb_search"
TITLE_WEIGHT = 4.0


def create_index(bind) -> None:
    """Create the index table (called from the migration)."""
    if bind.dialect.name == "sqlite":
        bind.execute(sql("CREATE VIRTUAL TABLE kb_search USING fts5(title, body, tokenize='unicode61 remove_diacritics 2', prefix='1 2')"))
        # how many articles hold each word: suggestions look for a ticket's rarest words
        bind.execute(sql("CREATE VIRTUAL TABLE kb_search_vocab USING fts5vocab(kb_search, row)"))
    else:
        bind.execute(sql("CREATE TABLE kb_search (article_id INTEGER PRIMARY KEY REFERENCES kb_article(id) ON DELETE CASCADE, doc tsvector NOT NULL)"))
        bind.execute(sql("CREATE INDEX ix_kb_search_doc ON kb_search USING gin (doc)"))


def drop_index(bind) -> None:
    bind.execute(sql("DROP TABLE IF EXISTS kb_search_vocab"))
    bind.execute(sql("DROP TABLE IF EXISTS kb_search"))


def _sqlite(session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def store(session, docs: Sequence[tuple[int, str, str]]) -> None:
    """Replace the indexed text of these articles: (article id, title, body)."""
    if not docs:
        return
    ids = [{"id": aid} for aid, _, _ in docs]
    rows = [{"id": aid, "title": search.index_text(title), "body": search.index_text(body)} for aid, title, body in docs]
    if _sqlite(session):
        session.execute(sql("DELETE FROM kb_search WHERE rowid = :id"), ids)
        session.execute(sql("INSERT INTO kb_search (rowid, title, body) VALUES (:id, :title, :body)"), rows)
    else:
        session.execute(sql("DELETE FROM kb_search WHERE article_id = :id"), ids)
        session.execute(sql("INSERT INTO kb_search (article_id, doc) VALUES (:id, "
                            "setweight(to_tsvector('simple', :title), 'A') || setweight(to_tsvector('simple', :body), 'B'))"), rows)


def _states(states: Iterable[str]) -> tuple[str, dict]:
    names = sorted(states)
    params = {f"s{i}": s for i, s in enumerate(names)}
    return ", ".join(f":s{i}" for i in range(len(names))), params


def _ranked(session, match_sqlite: str, match_pg: str, states: Iterable[str], limit: int,
            category: str | None = None) -> list[tuple[int, float]]:
    """(article id, score: higher is better) of matching articles in these states."""
    marks, params = _states(states)
    where_category = " AND a.category = :category" if category is not None else ""
    if category is not None:
        params["category"] = category
    if _sqlite(session):
        stmt = sql(f"SELECT a.id, -bm25(kb_search, {TITLE_WEIGHT}, 1.0) AS score FROM kb_search "
                   f"JOIN kb_article a ON a.id = kb_search.rowid "
                   f"WHERE kb_search MATCH :q AND a.state IN ({marks}){where_category} "
                   f"ORDER BY score DESC, a.id DESC LIMIT :limit")
        q = match_sqlite
    else:
        stmt = sql(f"SELECT a.id, ts_rank('{{0.1, 0.2, 0.4, 1.0}}', s.doc, to_tsquery('simple', :q)) AS score "
                   f"FROM kb_search s JOIN kb_article a ON a.id = s.article_id "
                   f"WHERE s.doc @@ to_tsquery('simple', :q) AND a.state IN ({marks}){where_category} "
                   f"ORDER BY score DESC, a.id DESC LIMIT :limit")
        q = match_pg
    stmt = stmt.bindparams(bindparam("q", q), bindparam("limit", limit), *(bindparam(k, v) for k, v in params.items()))
    return [(row[0], float(row[1])) for row in session.execute(stmt)]


def search_ids(session, phrase: str, states: Iterable[str], limit: int = 50,
               category: str | None = None) -> list[tuple[int, float]]:
    """Articles matching every part of `phrase` (as ticket search does), best first."""
    return _ranked(session, search.fts_query(phrase), search.pg_query(phrase), states, limit, category)


# -- related: a ticket's words, any of which may match ------------------------

STOP_WORDS = frozenset("""
a about after again all also am an and any are as at be been but by can cannot could did do does doing
for from had has have having he her here hi hello his how i if in into is it its just me my no not of on
or our please re fw fwd she so some than thank thanks that the their them then there these they this to
too us was we were what when where which who why will with would you your yours regards dear best
""".split())
CJK_STOP = frozenset("的了吗呢吧啊是不在我你他她它们这那有和与就都也还请谢您好个么什怎")  # bigrams made only of these say nothing
_CJK_TERM = re.compile(rf"[{search._CJK}]")
MAX_TERMS = 40


def related_terms(texts: Iterable[str], max_terms: int = MAX_TERMS) -> list[str]:
    """The distinct index words of `texts` worth looking for, in order of first sight
    (so the subject, given first, is kept whole): CJK bigrams, Latin words of 2+ letters,
    without stop words and lone CJK characters."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in search.index_text(text).split():
            if word in seen:
                continue
            if _CJK_TERM.match(word):
                if len(word) < 2 or all(c in CJK_STOP for c in word):
                    continue
            elif len(word) < 2 or word in STOP_WORDS or word.isdigit():
                continue
            seen[word] = None
            if len(seen) >= max_terms:
                return list(seen)
    return list(seen)


CANDIDATES = 40  # the best by the index's own rank, re-ranked by how many of the words they share


TELLING = 12  # the OR query holds a ticket's rarest words, no more: common words cost time and say little


def telling_terms(session, terms: list[str], subject_terms: int, keep: int = TELLING) -> list[str]:
    """The `keep` rarest of `terms` that some article holds (SQLite: from `kb_search_vocab`;
    a subject word counts as half as common). PostgreSQL keeps the first `keep`, subject first."""
    if len(terms) <= keep and not _sqlite(session):
        return terms
    if not _sqlite(session):
        return terms[:keep]
    marks = ", ".join(f":t{n}" for n in range(len(terms)))
    counts = dict(session.execute(sql(f"SELECT term, doc FROM kb_search_vocab WHERE term IN ({marks})")
                                  .bindparams(*(bindparam(f"t{n}", t) for n, t in enumerate(terms)))).all())
    held = [(counts[t] * (0.5 if n < subject_terms else 1.0), n, t) for n, t in enumerate(terms) if counts.get(t)]
    return [t for _, _, t in sorted(held)[:keep]]


MIN_SHARED = 2  # two words in common, or one in the title
WEAKEST = 0.25  # of the best suggestion's weight


def related_ids(session, texts: Iterable[str], states: Iterable[str], limit: int = 5) -> list[tuple[int, float]]:
    """Articles sharing the most telling words with `texts` (the first one being the
    subject), best first.

    The ticket's rarest words that some article holds are ORed and ranked by bm25 /
    ts_rank; the best candidates are then weighed by how many distinct words they
    share (a title word counts twice): an article that shares one rare word of a long
    ticket loses to one that shares four, which is what a reader of the ticket would pick."""
    texts = list(texts)
    subject_terms = len(related_terms(texts[:1]))
    terms = telling_terms(session, related_terms(texts), subject_terms)
    if not terms:
        return []
    fts = " OR ".join(f'"{t}"' for t in terms)
    pg = " | ".join(terms)
    hits = _ranked(session, fts, pg, states, max(CANDIDATES, limit))
    if not hits:
        return []
    wanted = set(terms)
    marks = ", ".join(f":i{n}" for n in range(len(hits)))
    rows = session.execute(sql(f"SELECT id, title, body FROM kb_article WHERE id IN ({marks})")
                           .bindparams(*(bindparam(f"i{n}", aid) for n, (aid, _) in enumerate(hits))))
    shared: dict[int, int] = {}
    for aid, title, body in rows:
        in_title = wanted.intersection(search.index_text(title).split())
        in_body = wanted.intersection(search.index_text(body).split())
        shared[aid] = len(in_title | in_body) + len(in_title)
    top = max(score for _, score in hits) or 1.0
    ranked = [(aid, shared.get(aid, 0) * (1.0 + score / top)) for aid, score in hits
              if shared.get(aid, 0) >= MIN_SHARED]
    ranked.sort(key=lambda pair: (-pair[1], -pair[0]))
    # a suggestion far weaker than the best is noise beside it (a printer ticket is not
    # helped by the locked-account article because both say "as soon as possible")
    return [pair for pair in ranked if pair[1] >= ranked[0][1] * WEAKEST][:limit]
