"""`helpdesk mail ...`: ingest, fetch and send mail; look at the outbox."""

from __future__ import annotations

from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import JSON, LIMIT, desk, read

app = typer.Typer(help="The email channel: ingest, fetch and send mail.", no_args_is_help=True)


@app.command("ingest")
def ingest(
    sources: list[str] = typer.Argument(None, help="Message files, Maildirs, mbox files; '-' (default) reads one message from stdin."),
    json_out: bool = JSON,
) -> None:
    """File incoming mail as tickets (threading by [#N] tag and Message-ID).

    Examples:\n
      helpdesk mail ingest message.eml ~/Maildir archive.mbox\n
      (in /etc/aliases)  support: "|helpdesk mail ingest -"
    """
    from helpdesk.services.mail.intake import ingest_all, messages_in

    raws = (raw for source in (sources or ["-"]) for _label, raw in messages_in(source))
    _show(ingest_all(desk(), raws), json_out)


@app.command("fetch")
def fetch(json_out: bool = JSON) -> None:
    """Read new mail from the IMAP mailbox of mail.imap_url and file it."""
    from helpdesk.services.mail.imap import fetch_mail

    _show(fetch_mail(desk()), json_out)


def _show(results, json_out: bool) -> None:
    if json_out:
        render.emit_json([r.to_dict() for r in results])
        return
    rows = [(f"#{r.ticket}" if r.ticket else "-", r.action, r.reason or "", r.message_id or "") for r in results]
    render.table(("ticket", "action", "reason", "message-id"), rows, caption=f"{len(results)} messages")


@app.command("send")
def send(json_out: bool = JSON) -> None:
    """Send the queued mail that is due (failures are retried later with back-off)."""
    from helpdesk.services.mail.outbox import send_due

    report = send_due(desk())
    if json_out:
        render.emit_json({"sent": report.sent, "retrying": report.retrying, "failed": report.failed, "errors": report.errors})
        return
    render.say(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
    for error in report.errors:
        render.say(error, style="red")


@app.command("outbox")
def outbox(
    status: Optional[str] = typer.Option(None, "--status", help="queued, sent or failed."),
    limit: int = LIMIT,
    json_out: bool = JSON,
) -> None:
    """List outgoing mail, newest first."""
    from helpdesk.services.mail.outbox import list_outbox

    rows = read(lambda s, _who: list_outbox(s, status, limit))
    data = [{"id": r.id, "ticket": r.ticket_id, "kind": r.kind, "to": r.to_addr, "subject": r.subject,
             "status": r.status, "attempts": r.attempts, "next_attempt_at": _iso(r.next_attempt_at),
             "last_error": r.last_error, "created_at": _iso(r.created_at), "sent_at": _iso(r.sent_at),
             "mail_message_id": r.mail_message_id} for r in rows]
    if json_out:
        render.emit_json(data)
        return
    render.table(("id", "ticket", "kind", "to", "status", "attempts", "last_error"),
                 [(d["id"], d["ticket"], d["kind"], d["to"], d["status"], d["attempts"], d["last_error"] or "") for d in data])


def _iso(value) -> str | None:
    return value.isoformat() if value else None
