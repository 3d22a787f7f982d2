"""Building raw test messages by hand: header lines and bodies joined with CRLF."""

from __future__ import annotations

import base64


def raw(*lines: str | bytes) -> bytes:
    """Lines joined with CRLF; str lines are UTF-8, bytes lines are taken as they are."""
    return b"\r\n".join(line if isinstance(line, bytes) else line.encode("utf-8") for line in lines)


def b64(data: bytes | str, charset: str = "utf-8") -> str:
    if isinstance(data, str):
        data = data.encode(charset)
    return base64.b64encode(data).decode("ascii")


def word(text: str, charset: str = "utf-8") -> str:
    """An RFC 2047 B encoded-word."""
    return f"=?{charset}?B?{b64(text, charset)}?="


def simple(body: bytes, *, charset: str | None = "utf-8", headers: tuple[str | bytes, ...] = (),
           cte: str = "8bit") -> bytes:
    """A single-part text/plain message from alice@example.com."""
    ctype = f"text/plain; charset={charset}" if charset else "text/plain"
    return raw(
        "From: Alice <alice@example.com>",
        "To: support@acme.test",
        "Subject: hello",
        "Message-ID: <m1@example.com>",
        "Date: Mon, 05 Jan 2026 10:00:00 +0800",
        *headers,
        "MIME-Version: 1.0",
        f"Content-Type: {ctype}",
        f"Content-Transfer-Encoding: {cte}",
        "",
        body,
    )
