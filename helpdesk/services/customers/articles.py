"""Knowledge-base articles: writing them, their states, reading them as staff.

States: `draft` (being written; only staff see it), `internal` (ready, for agents
only: suggested in the app, never on the portal), `published` (agents and the
portal's customers), `archived` (kept for history, found by nobody's search).

Roles: viewers read every article (they are staff); agents write, publish and
archive (as Zendesk Guide's default, "agents and managers" may publish);
customers reach published articles only, through `portal_kb`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, func, select

from helpdesk.errors import Conflict, Forbidden, Invalid, NotFound
from helpdesk.models import Article, utcnow
from helpdesk.services.core import audit, bus
from helpdesk.services.core.actors import RANK, UNSET, Actor
from helpdesk.services.customers import kb_search

STATES = ("draft", "internal", "published", "archived")
STAFF_SEARCHABLE = ("internal", "published")  # what `kb search` and `kb suggest` find by default
TITLE_MAX = 300
BODY_MAX = 200_000
CATEGORY_MAX = 100


def require_kb(actor: Actor, role: str) -> None:
    """`role` or higher, with a message that speaks of the knowledge base."""
    if RANK[actor.role] < RANK[role]:
        who = (actor.why or UNSET) if actor.anonymous else f"{actor.email} is {actor.role}"
        what = "read" if role == "viewer" else "write, publish or archive"
        raise Forbidden(f"only {role}s may {what} knowledge-base articles; {who}")


# -- checking input ---------------------------------------------------------------

def clean_title(title: str | None) -> str:
    text = " ".join((title or "").replace("\x00", "").split())
    if not text:
        raise Invalid("must not be empty", field="title")
    if len(text) > TITLE_MAX:
        raise Invalid(f"is longer than {TITLE_MAX} characters ({len(text)})", field="title")
    return text


def clean_body(body: str | None) -> str:
    text = (body or "").replace("\x00", "").replace("\r\n", "\n").strip("\n")
    if not text.strip():
        raise Invalid("must not be empty (use --body TEXT, or --body - to read standard input)", field="body")
    if len(text) > BODY_MAX:
        raise Invalid(f"is longer than {BODY_MAX} characters ({len(text)})", field="body")
    return text


def clean_category(category: str | None) -> str | None:
    text = " ".join((category or "").replace("\x00", "").split())
    if len(text) > CATEGORY_MAX:
        raise Invalid(f"is longer than {CATEGORY_MAX} characters", field="category")
    return text or None


def check_state(state: str) -> str:
    key = (state or "").strip().lower()
    if key not in STATES:
        raise Invalid(f"unknown state {state!r} (use {', '.join(STATES)})", field="state")
    return key


# -- reading ----------------------------------------------------------------------

def get_article(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"no article {article_id} (see `helpdesk kb list`)")
    return article


def read_article(session: Session, actor: Actor, article_id: int) -> Article:
    require_kb(actor, "viewer")
    return get_article(session, article_id)


def _filtered(stmt, category: str | None, state: str | None):
    if category is not None:
        stmt = stmt.where(func.lower(Article.category) == (clean_category(category) or "").lower())  # type: ignore[arg-type]
    if state is not None:
        stmt = stmt.where(Article.state == check_state(state))
    return stmt


def count_articles(session: Session, actor: Actor, *, category: str | None = None, state: str | None = None) -> int:
    require_kb(actor, "viewer")
    return session.exec(_filtered(select(func.count()).select_from(Article), category, state)).one()


def list_articles(session: Session, actor: Actor, *, category: str | None = None, state: str | None = None,
                  limit: int | None = None) -> list[Article]:
    """Every article (all states unless `state`), newest change first."""
    require_kb(actor, "viewer")
    stmt = _filtered(select(Article), category, state)
    stmt = stmt.order_by(Article.updated_at.desc(), Article.id.desc())  # type: ignore[union-attr]
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt))


def categories(session: Session, states: tuple[str, ...] = STATES) -> list[tuple[str, int]]:
    """(category, articles) over these states, by name."""
    rows = session.exec(select(Article.category, func.count()).where(Article.state.in_(states), Article.category.is_not(None))  # type: ignore[union-attr]
                        .group_by(Article.category).order_by(Article.category))
    return [(c, n) for c, n in rows]


def by_ids(session: Session, ids: list[int]) -> list[Article]:
    """These articles, in this order."""
    if not ids:
        return []
    found = {a.id: a for a in session.exec(select(Article).where(Article.id.in_(ids)))}  # type: ignore[union-attr]
    return [found[i] for i in ids if i in found]


def search_articles(session: Session, actor: Actor, text: str, *, states: tuple[str, ...] = STAFF_SEARCHABLE,
                    category: str | None = None, limit: int = 50) -> list[Article]:
    """Articles in `states` (published and internal unless told) matching every part of `text`, best first."""
    require_kb(actor, "viewer")
    states = tuple(check_state(s) for s in states)
    hits = kb_search.search_ids(session, text, states, limit, category=clean_category(category))
    return by_ids(session, [i for i, _ in hits])


def article_dict(article: Article, *, body: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": article.id, "title": article.title, "category": article.category, "state": article.state,
        "author_id": article.author_id, "source_ticket": article.source_ticket_id,
        "created_at": article.created_at, "updated_at": article.updated_at, "published_at": article.published_at,
        "version": article.version, "use_count": article.use_count,
        "helpful": article.helpful, "not_helpful": article.not_helpful,
    }
    if body:
        data["body"] = article.body
    return data


# -- writing ----------------------------------------------------------------------

def _reindex(session: Session, article: Article) -> None:
    session.flush()
    kb_search.store(session, [(article.id, article.title, article.body)])


def _changed(session: Session, actor: Actor, article: Article, diff: dict, now: datetime | None = None) -> None:
    now = now or utcnow()
    article.updated_at = now
    article.version += 1
    session.add(article)
    for name, (old, new) in diff.items():
        audit.record(session, actor, "article", article.id, name, old, new, at=now)
    session.flush()
    bus.publish(session, bus.DomainEvent("article.updated", None, actor, changes=diff, data={"article_id": article.id}))


def add_article(session: Session, actor: Actor, title: str, body: str, *, category: str | None = None,
                internal: bool = False, source_ticket_id: int | None = None) -> Article:
    """A new article: a draft, or `internal` (for agents) at once."""
    require_kb(actor, "agent")
    now = utcnow()
    article = Article(title=clean_title(title), body=clean_body(body), category=clean_category(category),
                      state="internal" if internal else "draft", author_id=actor.agent_id,
                      source_ticket_id=source_ticket_id, created_at=now, updated_at=now)
    session.add(article)
    session.flush()
    _reindex(session, article)
    audit.record(session, actor, "article", article.id, "created", None, article.state, at=now)
    bus.publish(session, bus.DomainEvent("article.created", None, actor, data={"article_id": article.id}))
    return article


def edit_article(session: Session, actor: Actor, article_id: int, *, title: str | None = None,
                 body: str | None = None, category: str | None = None, if_version: int | None = None) -> dict:
    """Change title, body and/or category ("" clears the category); {field: (old, new)} of what changed."""
    require_kb(actor, "agent")
    article = get_article(session, article_id)
    if if_version is not None and article.version != if_version:
        raise Conflict(f"article {article.id} changed since version {if_version} (now version {article.version})")
    if title is None and body is None and category is None:
        raise Invalid("nothing to change (give --title, --body or --category)", field="article")
    diff: dict = {}
    if title is not None and (new := clean_title(title)) != article.title:
        diff["title"] = (article.title, new)
        article.title = new
    if body is not None and (new := clean_body(body)) != article.body:
        diff["body"] = (f"{len(article.body)} characters", f"{len(new)} characters")
        article.body = new
    if category is not None and (cat := clean_category(category)) != article.category:
        diff["category"] = (article.category, cat)
        article.category = cat
    if diff:
        _changed(session, actor, article, diff)
        if "title" in diff or "body" in diff:
            _reindex(session, article)
    return diff


def set_state(session: Session, actor: Actor, article_id: int, state: str) -> dict:
    """Move an article to `state` (publish, make internal, archive, back to draft)."""
    require_kb(actor, "agent")
    state = check_state(state)
    article = get_article(session, article_id)
    if article.state == state:
        return {}
    diff = {"state": (article.state, state)}
    article.state = state
    if state == "published":
        article.published_at = utcnow()
    _changed(session, actor, article, diff)
    return diff


def publish_article(session: Session, actor: Actor, article_id: int, *, internal: bool = False) -> dict:
    return set_state(session, actor, article_id, "internal" if internal else "published")


def archive_article(session: Session, actor: Actor, article_id: int) -> dict:
    return set_state(session, actor, article_id, "archived")


def count_use(session: Session, actor: Actor, article_id: int, ticket_id: int | None = None) -> Article:
    """An agent put this article into a reply: one more use. Only published or internal
    articles may be used (a draft is unfinished, an archived one withdrawn)."""
    require_kb(actor, "agent")
    article = get_article(session, article_id)
    if article.state not in STAFF_SEARCHABLE:
        raise Conflict(f"article {article.id} is {article.state}; only published or internal articles go into replies"
                       f" (helpdesk kb publish {article.id})")
    article.use_count += 1
    session.add(article)
    audit.record(session, actor, "article", article.id, "used", None, f"#{ticket_id}" if ticket_id else "reply")
    session.flush()
    return article
