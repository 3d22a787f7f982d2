"""`helpdesk kb ...`: the knowledge base (articles, search, suggestions for a ticket)."""

from __future__ import annotations

from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import CSV, JSON, LIMIT, body_text, read, ticket_number, write

app = typer.Typer(help="Knowledge base: articles agents write, search and send; published ones are on the portal.",
                  no_args_is_help=True)

LIST_COLUMNS = ("id", "state", "category", "title", "use_count", "helpful", "not_helpful", "updated_at")


def _row(a) -> list:
    return [a["id"], a["state"], a["category"] or "", a["title"], a["use_count"],
            f"{a['helpful']}/{a['not_helpful']}", render.age(a["updated_at"].isoformat())]


def _table(rows: list[dict], caption: str | None = None) -> None:
    render.table(("id", "state", "category", "title", "used", "helpful", "updated"), (_row(r) for r in rows),
                 caption=caption)


def _article_id(value: str) -> int:
    from helpdesk.errors import Invalid

    text = value.strip().lstrip("#")
    if not text.isdigit():
        raise Invalid(f"{value!r} is not an article number (see `helpdesk kb list`)", field="id")
    return int(text)


@app.command("add")
def add(
    title: str = typer.Option(..., "--title", "-t", help="The article's title."),
    body: str = typer.Option(..., "--body", "-b", help="Markdown text, or '-' to read standard input."),
    category: Optional[str] = typer.Option(None, "--category", "-c", help="A category, e.g. Printers."),
    internal: bool = typer.Option(False, "--internal", help="Ready at once, for agents only (never on the portal)."),
    json_out: bool = JSON,
) -> None:
    """Write a new article: a draft until `kb publish`, or internal (agents only) with --internal.

    Examples:\n
      helpdesk kb add --title "更换硒鼓" --body "1. 打开前盖 ..." --category 打印机\n
      helpdesk kb add --title "VPN on macOS" --body - --internal < vpn.md
    """
    from helpdesk.services.customers.articles import add_article, article_dict

    text = body_text(body)
    data = write(lambda s, who: article_dict(add_article(s, who, title, text, category=category, internal=internal)))
    if json_out:
        return render.emit_json(data)
    render.say(f"article {data['id']} added ({data['state']})" + ("" if internal else f"; publish it with `helpdesk kb publish {data['id']}`"))


@app.command("edit")
def edit(
    article: str = typer.Argument(..., help="Article number."),
    title: Optional[str] = typer.Option(None, "--title", "-t"),
    body: Optional[str] = typer.Option(None, "--body", "-b", help="Markdown text, or '-' to read standard input."),
    category: Optional[str] = typer.Option(None, "--category", "-c", help="New category ('' clears it)."),
    if_version: Optional[int] = typer.Option(None, "--if-version", help="Refuse if the article changed since this version."),
    json_out: bool = JSON,
) -> None:
    """Change an article's title, body or category (its state stays).

    Example: helpdesk kb edit 7 --title "Replace the toner (硒鼓)" --category Printers
    """
    from helpdesk.commands.written import changed_json
    from helpdesk.services.customers.articles import article_dict, edit_article, get_article

    number = _article_id(article)
    text = body_text(body) if body is not None else None

    def run(s, who):
        diff = edit_article(s, who, number, title=title, body=text, category=category, if_version=if_version)
        return diff, article_dict(get_article(s, number), body=False)

    diff, data = write(run)
    if json_out:
        return render.emit_json({**data, "changed": changed_json(diff)})
    render.say(f"article {number}: " + ("; ".join(f"{k} changed" for k in diff) or "no change"))


def _state(number: str, fn_name: str, json_out: bool, **kw) -> None:
    from helpdesk.commands.written import changed_json
    from helpdesk.services.customers import articles

    aid = _article_id(number)

    def run(s, who):
        diff = getattr(articles, fn_name)(s, who, aid, **kw)
        return diff, articles.article_dict(articles.get_article(s, aid), body=False)

    diff, data = write(run)
    if json_out:
        return render.emit_json({**data, "changed": changed_json(diff)})
    render.say(f"article {aid}: " + (f"{diff['state'][0]} -> {diff['state'][1]}" if diff else f"already {data['state']}"))


@app.command("publish")
def publish(article: str = typer.Argument(..., help="Article number."),
            internal: bool = typer.Option(False, "--internal", help="Publish for agents only (never on the portal)."),
            json_out: bool = JSON) -> None:
    """Publish an article: customers find it on the portal, agents in suggestions (agents and admins may).

    Examples:\n
      helpdesk kb publish 7\n
      helpdesk kb publish 7 --internal   (agents only)
    """
    _state(article, "publish_article", json_out, internal=internal)


@app.command("archive")
def archive(article: str = typer.Argument(..., help="Article number."), json_out: bool = JSON) -> None:
    """Archive an article: kept, but no search, suggestion or portal page shows it (`kb publish` brings it back).

    Example: helpdesk kb archive 7
    """
    _state(article, "archive_article", json_out)


@app.command("list")
def list_(
    category: Optional[str] = typer.Option(None, "--category", "-c", help="Only this category (case-insensitive)."),
    state: Optional[str] = typer.Option(None, "--state", "-s", help="draft, internal, published or archived."),
    limit: int = LIMIT,
    json_out: bool = JSON,
    csv_out: bool = CSV,
) -> None:
    """List articles, most recently changed first (every state unless --state).

    Examples:\n
      helpdesk kb list --state published --category 打印机\n
      helpdesk kb list --csv > articles.csv
    """
    from helpdesk.services.customers.articles import article_dict, count_articles, list_articles

    def fetch(s, who):
        shown = [article_dict(a, body=False) for a in list_articles(s, who, category=category, state=state, limit=limit)]
        return shown, (count_articles(s, who, category=category, state=state) if len(shown) == limit else len(shown))

    shown, total = read(fetch)
    if json_out:
        return render.emit_json(shown)
    if csv_out:
        return render.emit_csv(LIST_COLUMNS, ([r[c] for c in LIST_COLUMNS] for r in shown))
    if not shown:
        return render.say("no articles" + (" match" if category or state else " yet (helpdesk kb add --title T --body TEXT)"))
    _table(shown, caption=f"{len(shown)} of {total}" if len(shown) < total else None)


@app.command("search")
def search(
    text: str = typer.Argument(..., help="Words or a phrase; Chinese works without spaces (硒鼓, 更换硒鼓)."),
    state: list[str] = typer.Option([], "--state", "-s", help="Search these states instead of published and internal (repeat)."),
    category: Optional[str] = typer.Option(None, "--category", "-c"),
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=200),
    json_out: bool = JSON,
    csv_out: bool = CSV,
) -> None:
    """Find published and internal articles by their words, best first (drafts with --state draft).

    Examples:\n
      helpdesk kb search 硒鼓\n
      helpdesk kb search "vpn 断开"\n
      helpdesk kb search printer --state draft --state published
    """
    from helpdesk.services.customers.articles import STAFF_SEARCHABLE, article_dict, search_articles

    states = tuple(state) or STAFF_SEARCHABLE
    rows = read(lambda s, who: [article_dict(a, body=False) for a in
                                search_articles(s, who, text, states=states, category=category, limit=limit)])
    if json_out:
        return render.emit_json(rows)
    if csv_out:
        return render.emit_csv(LIST_COLUMNS, ([r[c] for c in LIST_COLUMNS] for r in rows))
    if not rows:
        return render.say("no article matches")
    _table(rows)


@app.command("show")
def show(article: str = typer.Argument(..., help="Article number."), json_out: bool = JSON) -> None:
    """Show an article, its Markdown rendered for the terminal.

    Example: helpdesk kb show 7
    """
    from helpdesk.services.customers.articles import article_dict, read_article

    data = read(lambda s, who: article_dict(read_article(s, who, _article_id(article))))
    if json_out:
        return render.emit_json(data)
    from rich.markdown import Markdown
    from rich.text import Text

    from helpdesk.text import literal

    out = render.console()
    out.print(Text(literal(data["title"]), style="bold"))
    out.print(Text(f"#{data['id']} · {data['state']}" + (f" · {literal(data['category'])}" if data["category"] else "")
                   + f" · version {data['version']} · used {data['use_count']} times · helpful {data['helpful']}/{data['not_helpful']}"
                   + f" · updated {render.when(data['updated_at'])}", style="dim"))
    out.print()
    # Markdown is parsed, never rich markup; links show as text; escape sequences are stripped first.
    out.print(Markdown(literal(data["body"], multiline=True), hyperlinks=False))


@app.command("suggest")
def suggest(ticket: str = typer.Argument(..., help="Ticket number."), json_out: bool = JSON) -> None:
    """Articles that fit a ticket (its subject and public messages), best first, at most 5.

    Example: helpdesk kb suggest 42   (then: helpdesk ticket reply 42 --article ID)
    """
    from helpdesk.services.customers.articles import article_dict
    from helpdesk.services.customers.suggest import suggest_for_ticket

    number = ticket_number(ticket)
    rows = read(lambda s, who: [{**article_dict(a, body=False), "score": round(score, 4)}
                                for a, score in suggest_for_ticket(s, who, number)])
    if json_out:
        return render.emit_json(rows)
    if not rows:
        return render.say(f"no article fits ticket #{number}")
    _table(rows)
    render.say(f"insert one with: helpdesk ticket reply {number} --article ID")


@app.command("from-ticket")
def from_ticket(
    ticket: str = typer.Argument(..., help="Ticket number."),
    title: Optional[str] = typer.Option(None, "--title", "-t", help="Title (default: the ticket's subject)."),
    category: Optional[str] = typer.Option(None, "--category", "-c"),
    json_out: bool = JSON,
) -> None:
    """Start a draft from a ticket's public conversation (question, then answers; never internal notes).

    Example: helpdesk kb from-ticket 42 --category Printers   (then kb edit / kb publish)
    """
    from helpdesk.services.customers.articles import article_dict
    from helpdesk.services.customers.suggest import draft_from_ticket

    number = ticket_number(ticket)
    data = write(lambda s, who: article_dict(draft_from_ticket(s, who, number, title=title, category=category)))
    if json_out:
        return render.emit_json(data)
    render.say(f"draft article {data['id']} from ticket #{number}; review it with `helpdesk kb show {data['id']}`")
