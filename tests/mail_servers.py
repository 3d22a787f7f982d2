"""Real mail servers on loopback for the mail tests: aiosmtpd (SMTP) and Dovecot (IMAP).

Dovecot runs as the current user from a config in a temp dir with a passwd-file
userdb; its fixture skips only when the dovecot binary is absent (.ci/mail-servers
installs it)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

IMAP_USER, IMAP_PASSWORD = "desk", "s3cret-imap"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP test server received."""

    messages: list = field(default_factory=list)  # (mail_from, rcpt_tos, raw bytes)
    refuse: int | None = None  # answer every RCPT with this code

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return f"{self.refuse} no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    """(url, inbox) of an aiosmtpd server on loopback."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.path.exists(p)), None)


_CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{root}/home/%u/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
"""


@pytest.fixture
def imap_server():
    """imap://desk@127.0.0.1:PORT/INBOX of a Dovecot started for this test (password IMAP_PASSWORD)."""
    binary = dovecot_binary()
    if binary is None:
        pytest.skip("dovecot is not installed (run .ci/mail-servers, or apt-get install dovecot-imapd)")
    # A directory of its own, readable by Dovecot's unprivileged login user when run as root
    # (pytest's tmp dirs are private to root, and Dovecot refuses root login processes).
    root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    root.chmod(0o755)
    for sub in ("run", "state", f"home/{IMAP_USER}"):
        (root / sub).mkdir(parents=True)
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:  # Dovecot will not store mail as root: the mailbox belongs to its own user
        uid, gid = pwd.getpwnam("dovecot").pw_uid, pwd.getpwnam("dovecot").pw_gid
        os.chown(root / "home" / IMAP_USER, uid, gid)
    (root / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}:{uid}:{gid}::{root}/home/{IMAP_USER}::\n")
    port = free_port()
    config = root / "dovecot.conf"
    user = pwd.getpwuid(os.getuid()).pw_name
    internal, login = ("dovecot", "dovenull") if os.getuid() == 0 else (user, user)
    config.write_text(_CONFIG.format(root=root, internal=internal, login=login, port=port))
    proc = subprocess.Popen([binary, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_listening(proc, port, root)
        yield f"imap://{IMAP_USER}@127.0.0.1:{port}/INBOX"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def _wait_listening(proc: subprocess.Popen, port: int, root: Path) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            try:
                proc.wait(timeout=0.05)  # waits a little, and notices an early exit
            except subprocess.TimeoutExpired:
                continue
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited: {proc.stdout.read().decode()} {log}")
    raise RuntimeError("dovecot did not start listening")
