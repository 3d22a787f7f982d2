"""`helpdesk portal`: the customer web portal, its links, and ratings taken by phone."""

from __future__ import annotations

from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import JSON, desk, read, ticket_number, write

app = typer.Typer(invoke_without_command=True)


@app.callback()
def portal(ctx: typer.Context,
           host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback unless you say otherwise)."),
           port: int = typer.Option(8080, "--port", min=1, max=65535, help="Port to listen on."),
           url: Optional[str] = typer.Option(None, "--url", help="Where customers reach the portal, for mailed links "
                                                                 "(default: the portal.url setting, else http://HOST:PORT)."),
           behind_proxy: bool = typer.Option(False, "--behind-proxy", help="A reverse proxy on this machine forwards "
                                             "to the portal: rate limits count the X-Forwarded-For address it sets.")) -> None:
    """Serve the customer portal (track a request, its page and reply box, the request form, surveys).

    Examples:\n
      helpdesk portal                              (http://127.0.0.1:8080)\n
      helpdesk portal --host 0.0.0.0 --port 8443 --url https://support.example.com\n
      helpdesk portal link 42                      (a link to send to the requester)\n
      helpdesk portal revoke 42                    (every link given so far stops working)
    """
    if ctx.invoked_subcommand is not None:
        return
    from helpdesk.portal.app import serve

    with desk().read() as s:
        from helpdesk.services.core.settings import get_setting

        configured = get_setting(s, "portal.url")
    base = url or configured or f"http://{host}:{port}"
    render.say(f"Portal on http://{host}:{port} (links mailed as {base}/...); ctrl-c stops it.")
    serve(desk(), host, port, base_url=base, behind_proxy=behind_proxy)


@app.command("link")
def link(ticket: str = typer.Argument(..., help="Ticket number."),
         url: Optional[str] = typer.Option(None, "--url", help="The portal's outside address (default: portal.url)."),
         json_out: bool = JSON) -> None:
    """Print a signed link to the ticket's portal page, for an agent to send to the requester.

    It expires after portal.link_days (default 30) days; `portal revoke N` withdraws it.
    Example: helpdesk portal link 42
    """
    from helpdesk.services.customers.portal_links import agent_link

    number = ticket_number(ticket)
    found = write(lambda s, a: agent_link(s, a, number, url))
    if json_out:
        render.emit_json({"ticket": number, "link": found})
    else:
        render.show(found)


@app.command("revoke")
def revoke(ticket: str = typer.Argument(..., help="Ticket number."), json_out: bool = JSON) -> None:
    """Withdraw every portal and survey link of a ticket given so far (they answer "not found").

    Example: helpdesk portal revoke 42
    """
    from helpdesk.services.customers.portal_links import revoke as withdraw

    number = ticket_number(ticket)
    generation = write(lambda s, a: withdraw(s, a, number))
    if json_out:
        render.emit_json({"ticket": number, "generation": generation})
    else:
        render.show(f"#{number}: every earlier portal link is withdrawn; `helpdesk portal link {number}` makes a new one.")


def rate_command(ticket: str, rating: str, comment: Optional[str], nps: Optional[int], json_out: bool) -> None:
    from helpdesk.services.customers.surveys import rate, rating_dict

    number = ticket_number(ticket)
    row = write(lambda s, a: rating_dict(rate(s, a, number, rating, comment=comment, nps=nps, source="agent")))
    if json_out:
        render.emit_json({"ticket": number, **row})
    else:
        render.show(f"#{number} rated {row['rating']} (taken by phone)")


def show_rating(ticket: str) -> dict | None:
    from helpdesk.services.customers.surveys import rating_dict, rating_of

    number = ticket_number(ticket)
    return read(lambda s, a: rating_dict(rating_of(s, number)))
