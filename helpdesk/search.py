"""Full-text search over subject, messages and requester: the backend-specific part.

Text is normalised before indexing: Latin-script words stay words, and runs of
Chinese/Japanese/Korean characters become overlapping bigrams plus the run's
last character ("打印机" -> "打印 印机 机"). A word index then finds CJK words of
any length without spaces — two-character words included, which FTS5's trigram
tokenizer alone cannot match — and a single character through a prefix query.
SQLite uses FTS5 (unicode61); PostgreSQL a `simple` tsvector over the same text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import Integer, bindparam, column, exists, table
from sqlalchemy import text as sql
from sqlalchemy.sql.elements import ColumnElement

from helpdesk.errors import Invalid

_CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # han
    "\uac00-\ud7af"  # hangul
    "\U00020000-\U0002ffff"
)
_TOKEN = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")  # "_" separates words, as in FTS5


def _runs(text: str) -> Iterable[tuple[bool, str]]:
    """(is_cjk, run) pieces of `text`, lower-cased."""
    for m in _TOKEN.finditer(text.lower()):
        if m.group(1):
            yield True, m.group(1)
        elif m.group(2).isalnum():
            yield False, m.group(2)
        else:  # marks that `re` counts as word characters but FTS5 does not
            yield from ((False, part) for part in "".join(c if c.isalnum() else " " for c in m.group(2)).split())


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


_ASCII_WORD = re.compile(r"[a-z0-9]+")  # what _TOKEN finds in lower-cased ASCII text


def index_text(text: str) -> str:
    """The normalised form stored in the index (hot during imports: no generators)."""
    text = text.lower()
    if text.isascii():
        return " ".join(_ASCII_WORD.findall(text))
    out: list[str] = []
    for cjk, word in _TOKEN.findall(text):
        if cjk:
            out.extend([cjk[i:i + 2] for i in range(len(cjk) - 1)])
            out.append(cjk[-1])
        elif word.isalnum():
            out.append(word)
        else:  # marks that `re` counts as word characters but FTS5 does not
            out.extend("".join(c if c.isalnum() else " " for c in word).split())
    return " ".join(out)


def _fts_part(cjk: bool, run: str, *, prefix: bool) -> str:
    if cjk:
        return f'"{run}"*' if len(run) == 1 else '"' + " ".join(_bigrams(run)) + '"'
    return f'"{run}"*' if prefix else f'"{run}"'


def _segments(phrase: str) -> list[tuple[bool, list[str]]]:
    """Runs grouped into segments of one script: adjacent Latin words stay together."""
    segments: list[tuple[bool, list[str]]] = []
    for cjk, run in _runs(phrase):
        if cjk or not segments or segments[-1][0]:
            segments.append((cjk, [run]))
        else:
            segments[-1][1].append(run)
    if not segments:
        raise Invalid(f"{phrase!r} has no letters or digits to search for", field="text")
    return segments


def fts_query(phrase: str) -> str:
    """One user phrase -> an FTS5 expression (segments ANDed; a lone word is a prefix)."""
    parts = []
    for cjk, runs in _segments(phrase):
        if cjk:
            parts.extend(_fts_part(True, run, prefix=False) for run in runs)
        elif len(runs) == 1:
            parts.append(_fts_part(False, runs[0], prefix=True))
        else:
            parts.append('"' + " ".join(runs) + '"')
    return " ".join(parts)


def _pg_part(cjk: bool, run: str, *, prefix: bool) -> str:
    if cjk:
        return f"{run}:*" if len(run) == 1 else " <-> ".join(_bigrams(run))
    return f"{run}:*" if prefix else run


def pg_query(phrase: str) -> str:
    """The same as `fts_query`, in PostgreSQL tsquery syntax."""
    parts = []
    for cjk, runs in _segments(phrase):
        if cjk:
            parts.extend(f"({_pg_part(True, run, prefix=False)})" for run in runs)
        elif len(runs) == 1:
            parts.append(_pg_part(False, runs[0], prefix=True))
        else:
            parts.append("(" + " <-> ".join(runs) + ")")
    return " & ".join(parts)


# -- schema -----------------------------------------------------------------

def create_index(bind) -> None:
    """Create the search table (called from a migration)."""
    if bind.dialect.name == "sqlite":
        bind.execute(sql("CREATE VIRTUAL TABLE ticket_search USING fts5(doc, tokenize='unicode61 remove_diacritics 2', prefix='1 2')"))
    else:
        bind.execute(sql("CREATE TABLE ticket_search (ticket_id INTEGER PRIMARY KEY REFERENCES ticket(id) ON DELETE CASCADE, doc tsvector NOT NULL)"))
        bind.execute(sql("CREATE INDEX ix_ticket_search_doc ON ticket_search USING gin (doc)"))


def drop_index(bind) -> None:
    bind.execute(sql("DROP TABLE IF EXISTS ticket_search"))


# -- writing ----------------------------------------------------------------

TABLE = "ticket_search"


def store(session, docs: Sequence[tuple[int, str]]) -> None:
    """Replace the indexed documents of these tickets: (ticket id, raw text)."""
    if not docs:
        return
    rows = [{"id": tid, "doc": index_text(doc)} for tid, doc in docs]
    ids = [{"id": tid} for tid, _ in docs]
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sql("DELETE FROM ticket_search WHERE rowid = :id"), ids)
        session.execute(sql("INSERT INTO ticket_search (rowid, doc) VALUES (:id, :doc)"), rows)
    else:
        session.execute(sql("DELETE FROM ticket_search WHERE ticket_id = :id"), ids)
        session.execute(sql("INSERT INTO ticket_search (ticket_id, doc) VALUES (:id, to_tsvector('simple', :doc))"), rows)


def fill(session, docs: Sequence[tuple[int, str]]) -> None:
    """Index tickets that are not in the index yet, in one statement (a new index filled
    in bulk: `migrate-db`); the same text and tsvector as `store`."""
    if not docs:
        return
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sql("INSERT INTO ticket_search (rowid, doc) VALUES (:id, :doc)"),
                        [{"id": tid, "doc": index_text(doc)} for tid, doc in docs])
        return
    session.execute(sql("INSERT INTO ticket_search (ticket_id, doc) SELECT id, to_tsvector('simple', doc) "
                        "FROM unnest(CAST(:ids AS integer[]), CAST(:docs AS text[])) AS d(id, doc)"),
                    {"ids": [tid for tid, _ in docs], "docs": [index_text(doc) for _, doc in docs]})


def remove(session, ticket_ids: Sequence[int]) -> None:
    col = "rowid" if session.get_bind().dialect.name == "sqlite" else "ticket_id"
    session.execute(sql(f"DELETE FROM ticket_search WHERE {col} = :id"), [{"id": t} for t in ticket_ids])


# -- querying ---------------------------------------------------------------

def count_matches(session, phrase: str) -> int:
    """How many tickets match `phrase` (from the index alone: no join)."""
    if session.get_bind().dialect.name == "sqlite":
        stmt = sql("SELECT count(*) FROM ticket_search WHERE ticket_search MATCH :q").bindparams(q=fts_query(phrase))
    else:
        stmt = sql("SELECT count(*) FROM ticket_search WHERE doc @@ to_tsquery('simple', :q)").bindparams(q=pg_query(phrase))
    return session.execute(stmt).scalar_one()


def matches_ticket(dialect: str, phrase: str, ticket_id: ColumnElement) -> ColumnElement:
    """Whether the outer query's ticket (`ticket_id`) matches `phrase`, by its own index
    row: for a check of a few tickets (a trigger on one change), where `matching_ids`
    would gather every matching ticket of the desk first."""
    if dialect == "sqlite":
        index = table("ticket_search", column("rowid", Integer))
        return exists().where(index.c.rowid == ticket_id, sql("ticket_search MATCH :q").bindparams(
            bindparam("q", fts_query(phrase), unique=True)))
    index = table("ticket_search", column("ticket_id", Integer))
    return exists().where(index.c.ticket_id == ticket_id, sql("ticket_search.doc @@ to_tsquery('simple', :q)").bindparams(
        bindparam("q", pg_query(phrase), unique=True)))


def matching_ids(dialect: str, phrase: str) -> ColumnElement:
    """A subquery selecting the ids of tickets whose text matches `phrase`."""
    if dialect == "sqlite":
        return sql("SELECT rowid FROM ticket_search WHERE ticket_search MATCH :q").bindparams(bindparam("q", fts_query(phrase), unique=True)).columns(column("id", Integer))
    return sql("SELECT ticket_id FROM ticket_search WHERE doc @@ to_tsquery('simple', :q)").bindparams(bindparam("q", pg_query(phrase), unique=True)).columns(column("id", Integer))
