"""The knowledge base as customers see it (the portal's `/kb` pages): published
articles only — a draft, internal or archived article is `NotFound`, exactly like
one that does not exist — feedback, and the body as safe HTML.

No actor: the portal's visitors are anonymous. Nothing here trusts the article's
text: `render_html` escapes any HTML in it, and a link or image whose address is not
http(s), mailto, a relative path or an anchor is shown as plain text."""

from __future__ import annotations

from functools import lru_cache

from sqlmodel import Session, func, select

from helpdesk.errors import NotFound
from helpdesk.models import Article
from helpdesk.services.customers import kb_search
from helpdesk.services.customers.articles import by_ids, clean_category

PUBLIC = ("published",)


def _published(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None or article.state != "published":
        raise NotFound(f"no article {article_id}")
    return article


def list_published(session: Session, *, category: str | None = None, limit: int = 100, offset: int = 0) -> list[Article]:
    """Published articles, most recently published first."""
    stmt = select(Article).where(Article.state == "published")
    if category:
        stmt = stmt.where(func.lower(Article.category) == (clean_category(category) or "").lower())  # type: ignore[arg-type]
    stmt = stmt.order_by(Article.published_at.desc(), Article.id.desc()).offset(offset).limit(limit)  # type: ignore[union-attr]
    return list(session.exec(stmt))


def search_published(session: Session, text: str, *, limit: int = 20) -> list[Article]:
    """Published articles matching every part of `text`, best first (Invalid if it has no words)."""
    return by_ids(session, [i for i, _ in kb_search.search_ids(session, text, PUBLIC, limit)])


def show_published(session: Session, article_id: int) -> Article:
    """One published article; NotFound for any other state."""
    return _published(session, article_id)


def record_feedback(session: Session, article_id: int, helpful: bool) -> Article:
    """A customer's "was this helpful?" (published articles only). The portal limits
    how often one visitor may answer; this only counts."""
    article = _published(session, article_id)
    if helpful:
        article.helpful += 1
    else:
        article.not_helpful += 1
    session.add(article)
    session.flush()
    return article


# -- Markdown -> safe HTML -------------------------------------------------------

SAFE_SCHEMES = ("http:", "https:", "mailto:")


def safe_url(url: str) -> bool:
    """Whether a link or image address may stay one: http(s), mailto, or relative
    (a path, a query or an anchor). Anything with another scheme — javascript:,
    data:, vbscript:, file: — or hiding one with controls or entities is refused."""
    text = "".join(c for c in url if c > " " and c != "\x7f").lower()  # browsers drop these inside a scheme
    head = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "&" in head or "%" in head:  # "javascript&colon;", "&#106;avascript:", "%6aavascript:": entity games
        return False
    scheme, colon, _ = text.partition(":")
    if not colon:
        return True
    if "/" in scheme or "?" in scheme or "#" in scheme:  # "a/b:c" is a relative path
        return True
    return f"{scheme}:" in SAFE_SCHEMES


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table").enable("strikethrough")
    md.validateLink = lambda url: safe_url(url)  # a refused link is left as its text, not a link

    def link_open(renderer, tokens, idx, options, env):
        token = tokens[idx]
        token.attrSet("rel", "nofollow noopener noreferrer")
        href = token.attrGet("href") or ""
        if href.lower().startswith(("http:", "https:")):
            token.attrSet("target", "_blank")
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


def render_html(markdown: str) -> str:
    """An article's Markdown body as HTML safe to put in a page: raw HTML is escaped
    as text, unsafe link and image addresses are not links, no attribute comes from
    the author except a checked href/src, a title and alt text (escaped)."""
    return _markdown().render(markdown or "")
