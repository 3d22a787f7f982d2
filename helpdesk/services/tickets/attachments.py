"""Mail attachments on disk, stored once per content (sha256), listed on their message."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlmodel import Session, select

from helpdesk.mail import Attachment as MailAttachment
from helpdesk.models import Attachment

MAX_BYTES = 25 * 1024 * 1024  # larger parts are listed but not kept


def attachments_dir() -> Path:
    """HELPDESK_ATTACHMENTS, else <user data dir>/attachments."""
    configured = os.environ.get("HELPDESK_ATTACHMENTS")
    if configured:
        return Path(configured)
    from platformdirs import user_data_dir

    return Path(user_data_dir("helpdesk", appauthor=False)) / "attachments"


def store_blob(data: bytes, root: Path | None = None) -> tuple[str, Path]:
    """Write data under <root>/<sha[:2]>/<sha> unless it is already there; (sha256, path)."""
    digest = hashlib.sha256(data).hexdigest()
    path = (root or attachments_dir()) / digest[:2] / digest
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # write-then-rename: a reader never sees half a file, a crash leaves no torn blob
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    return digest, path


def save_attachments(session: Session, message_id: int, parts: list[MailAttachment], *,
                     root: Path | None = None, max_bytes: int = MAX_BYTES) -> list[Attachment]:
    """One Attachment row per part; the content is kept only when present and within max_bytes."""
    rows = []
    for part in parts:
        row = Attachment(message_id=message_id, filename=part.filename, content_type=part.content_type, size=part.size)
        if part.data is not None and not part.too_large and len(part.data) <= max_bytes:
            row.sha256, path = store_blob(part.data, root)
            row.path = str(path)
        session.add(row)
        rows.append(row)
    return rows


def attachments_of(session: Session, message_id: int) -> list[Attachment]:
    return list(session.exec(select(Attachment).where(Attachment.message_id == message_id).order_by(Attachment.id)))
