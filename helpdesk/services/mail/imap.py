"""`mail fetch`: new mail from an IMAP mailbox, filed by mail_intake and then marked \\Seen.

Only messages not yet \\Seen are taken. A message is marked only after its
transaction committed, so a crash in between re-reads it and the MailReceipt
turns the second reading into a harmless "duplicate".
"""

from __future__ import annotations

import imaplib
import ssl
from urllib.parse import unquote, urlsplit

from helpdesk.errors import Invalid
from helpdesk.services.core.settings import get_setting
from helpdesk.services.mail.intake import IngestResult, ingest_all
from helpdesk.services.mail.outbox import password_for

TIMEOUT = 30
BATCH = 200


def open_imap(url: str) -> tuple[imaplib.IMAP4, str]:
    """imaps://user@host[:993]/FOLDER (TLS), imap://user@host[:143]/FOLDER (STARTTLS when
    offered), imap+starttls:// (required). Password from HELPDESK_IMAP_PASSWORD or the keyring."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("imap", "imaps", "imap+starttls") or not parts.hostname or not parts.username:
        raise Invalid(f"{url!r} is not an IMAP URL (imaps://user@host/INBOX)", field="mail.imap_url")
    user, host = unquote(parts.username), parts.hostname
    password = password_for("imap", user, host)
    if password is None:
        raise Invalid(f"no IMAP password for {user}: set HELPDESK_IMAP_PASSWORD or the keyring", field="mail.imap_url")
    if scheme == "imaps":
        client = imaplib.IMAP4_SSL(host, parts.port or 993, ssl_context=ssl.create_default_context(), timeout=TIMEOUT)
    else:
        client = imaplib.IMAP4(host, parts.port or 143, timeout=TIMEOUT)
        if scheme == "imap+starttls" or "STARTTLS" in client.capabilities:
            client.starttls(ssl_context=ssl.create_default_context())
    client.login(user, password)
    return client, unquote(parts.path.strip("/")) or "INBOX"


def fetch_mail(desk, *, url: str | None = None) -> list[IngestResult]:
    """Ingest every unseen message of the configured mailbox; returns what was done with each."""
    if url is None:
        with desk.read() as s:
            url = get_setting(s, "mail.imap_url")
    if not url:
        raise Invalid("mail.imap_url is not set (helpdesk config set mail.imap_url imaps://user@host/INBOX)",
                      field="mail.imap_url")
    client, folder = open_imap(str(url))
    try:
        _check(client.select(_quote(folder)), f"cannot open folder {folder!r}")
        uids = _check(client.uid("SEARCH", None, "UNSEEN"), "search failed")[0].split()
        results: list[IngestResult] = []
        for start in range(0, len(uids), BATCH):
            chunk = uids[start:start + BATCH]
            results += ingest_all(desk, [_body(client, uid) for uid in chunk], chunk=BATCH)
            _check(client.uid("STORE", b",".join(chunk).decode(), "+FLAGS.SILENT", "(\\Seen)"), "cannot mark mail seen")
        return results
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


def _body(client: imaplib.IMAP4, uid: bytes) -> bytes:
    data = _check(client.uid("FETCH", uid.decode(), "(BODY.PEEK[])"), f"cannot fetch message {uid.decode()}")
    return next(item[1] for item in data if isinstance(item, tuple))


def _check(reply: tuple[str, list], what: str) -> list:
    status, data = reply
    if status != "OK":
        raise Invalid(f"IMAP: {what}: {data!r}", field="mail.imap_url")
    return data


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch_job(desk) -> dict:
    """The worker's job: fetch when mail.imap_url is set, else do nothing."""
    with desk.read() as s:
        url = get_setting(s, "mail.imap_url")
    if not url:
        return {"skipped": "mail.imap_url is not set"}
    results = fetch_mail(desk, url=str(url))
    counts = {action: sum(r.action == action for r in results) for action in ("created", "appended", "ignored")}
    rated = sum(r.action == "rated" for r in results)  # replies to survey mails that were only a rating
    return counts | ({"rated": rated} if rated else {})
