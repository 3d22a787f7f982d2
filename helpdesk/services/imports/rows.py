"""One sheet record -> a draft ticket: the helpdesk's values, its people, its messages.

The sheet reader (helpdesk.sheets) has typed the cells; this adds the helpdesk's own
rules (subject length, tag and field-name syntax, types and channels) and resolves
people through the run's PeopleBook. Nothing here touches the database."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from helpdesk.search import index_text
from helpdesk.services.imports.people import PeopleBook, Ref
from helpdesk.services.tickets.indexing import document
from helpdesk.services.tickets.lifecycle import CHANNELS, SUBJECT_MAX, TAG
from helpdesk.sheets import Record, RowError

EXTERNAL_ID_MAX = 200
FIELD_KEY_MAX = 64

TYPE_WORDS = {
    **dict.fromkeys(("question", "inquiry", "enquiry", "咨询", "询问", "问询"), "question"),
    **dict.fromkeys(("incident", "bug", "fault", "故障", "事件", "报修"), "incident"),
    **dict.fromkeys(("problem", "问题"), "problem"),
    **dict.fromkeys(("task", "service request", "request", "任务", "需求", "服务请求"), "task"),
}
CHANNEL_WORDS = {
    **{c: c for c in CHANNELS},
    **dict.fromkeys(("e-mail", "mail", "邮件", "邮箱", "电子邮件"), "email"),
    **dict.fromkeys(("telephone", "voice", "call", "电话", "来电", "热线"), "phone"),
    **dict.fromkeys(("wechat", "微信", "chat", "im", "在线", "在线客服", "qq", "social media"), "chat"),
    **dict.fromkeys(("website", "web form", "portal", "网页", "网站", "官网", "门户"), "web"),
    **dict.fromkeys(("walk in", "walk-in", "现场", "上门", "到访"), "walk_in"),
}
_KEY_JUNK = re.compile(r"[^\w\-.]+")


NOT_WORKED_OUT = object()  # Draft.clocks before import_batch.work_out_clocks


@dataclass(slots=True)
class Draft:
    """A ticket as one row describes it; only the fields whose cells had data are set."""

    row: int
    external_id: str | None
    fingerprint: str
    values: dict  # Ticket columns from the sheet (ids of agents/teams resolved)
    requester: Ref | None
    organization: Ref | None
    tags: list[str] | None  # None: the tag cells were blank (keep the stored tags)
    messages: list[tuple[str, str, datetime | None, Ref | None, int | None, str | None]] = field(
        default_factory=list)  # (kind, body, at, contact, agent id, author name)
    indexed: str | None = None  # the search index's text of a new ticket (SQLite), made ahead
    # (SLA summary columns, clock rows numbered 0) if created, worked out ahead; None: no clocks
    clocks: tuple | None | object = NOT_WORKED_OUT

    def document(self) -> str:
        """The search text `indexing.documents` would read back for the new ticket."""
        who = self.requester
        return document(self.values.get("subject", ""), who.name if who else None,
                        who.email if who else None, (m[1] for m in self.messages))

    key: str = ""  # how the ticket is found again: "x:" + external id, else "f:" + fingerprint

    def __post_init__(self) -> None:
        self.key = f"x:{self.external_id}" if self.external_id else f"f:{self.fingerprint}"


class DraftMaker:
    """Turns records into drafts for one run (it caches per-header and per-value work)."""

    def __init__(self, book: PeopleBook, headers: dict[str, str], *, index: bool = False,
                 types: dict | None = None):
        self.book = book
        self.types = types or {}  # the desk's request types by case-folded name: typed cells are checked
        self.headers = headers  # field -> the header of its column, to name it in errors
        self.index = index  # normalise search text while reading, outside the write transaction
        self.keys: dict[str, str] = {}
        self.tags: dict[str, str | None] = {}

    def problems(self, record: Record) -> list[RowError]:
        """The sheet's errors plus the helpdesk's own rules for this row."""
        errors = list(record.errors)
        subject = record.values.get("subject")
        if subject and len(" ".join(subject.split())) > SUBJECT_MAX:
            errors.append(RowError(record.row, self.headers.get("subject", "subject"),
                                   f"the subject is longer than {SUBJECT_MAX} characters"))
        external = record.values.get("external_id")
        if external and len(external) > EXTERNAL_ID_MAX:
            errors.append(RowError(record.row, self.headers.get("external_id", "external_id"),
                                   f"the id is longer than {EXTERNAL_ID_MAX} characters"))
        kind = self.types.get(record.values.get("type", "").strip().casefold())
        if kind is not None:
            errors += self._typed_problems(record, kind)
        return errors

    def _typed_problems(self, record: Record, kind) -> list[RowError]:
        """A sheet's cells against the type's fields: each bad cell, then each missing required one."""
        from helpdesk.errors import Invalid
        from helpdesk.request_types import check_value

        found, errors = set(), []
        for header, text in record.fields.items():
            spec = kind.field(self._key(header))
            if spec is None or not text.strip():
                continue
            found.add(spec.key)
            try:
                check_value(spec, text)
            except Invalid as exc:
                errors.append(RowError(record.row, header, exc.reason))
        status = record.values.get("status")
        for spec in kind.fields:
            if spec.key not in found and (spec.required or (status and status in spec.required_for)):
                errors.append(RowError(record.row, spec.key, f"required for type {kind.name!r}"
                                       + (f" when {status}" if not spec.required else "") + "; the row has no value"))
        return errors

    def draft(self, record: Record) -> Draft:
        v, row, book = record.values, record.row, self.book
        org = book.organization(v.get("organization"))
        requester = book.requester(row, v.get("requester_email"), v.get("requester_name"),
                                   v.get("requester_phone"), org)
        values: dict = {}
        if "subject" in v:
            values["subject"] = " ".join(v["subject"].split())
        for name in ("status", "priority", "created_at", "updated_at", "solved_at"):
            if name in v:
                values[name] = v[name]
        fields = {self._key(k): text for k, text in record.fields.items()}
        if "type" in v:
            kind = TYPE_WORDS.get(v["type"].casefold())
            loaded = self.types.get(v["type"].strip().casefold())
            if kind:
                values["type"] = kind
            elif loaded is not None:  # one of the desk's request types: its cells in their stored form
                from helpdesk.services.types.fields import checked_fields

                values["type"] = loaded.name
                fields = checked_fields(loaded, fields)
            else:
                fields.setdefault("type", v["type"])  # a type of their own: kept as a field
        if "channel" in v:
            values["channel"] = self._channel(row, v["channel"])
        if "assignee" in v:
            values["assignee_id"] = book.agent(row, v["assignee"])
        if "team" in v:
            values["team_id"] = book.team(row, v["team"])
        if fields:
            values["fields"] = fields
        draft = Draft(row, v.get("external_id"), record.fingerprint, values, requester,
                      org or (requester.org if requester else None),
                      self._tags(row, v["tags"]) if "tags" in v else None)
        self._messages(draft, v)
        if self.index:
            draft.indexed = index_text(draft.document())
        return draft

    def _messages(self, draft: Draft, v: dict) -> None:
        description = v.get("description")
        if description:
            name = draft.requester.name if draft.requester else None
            draft.messages.append(("reply", description, None, draft.requester, None, name))
        for comment in v.get("comments", ()):
            draft.messages.append(("note", comment.body, comment.at, None,
                                   self.book.agent_id(comment.author), comment.author))

    def _channel(self, row: int, text: str) -> str:
        found = CHANNEL_WORDS.get(text.casefold().strip())
        if found is None:
            self.book.notices.add(f'channel "{text}" is not one of {", ".join(CHANNELS)}: '
                                  'imported as "other"', row)
            return "other"
        return found

    def _key(self, header: str) -> str:
        """A custom field's name as `--field KEY=VALUE` accepts it: 'Customer Age' -> customer_age."""
        key = self.keys.get(header)
        if key is None:
            key = _KEY_JUNK.sub("_", header.strip().lower()).strip("_")[:FIELD_KEY_MAX] or "field"
            self.keys[header] = key
        return key

    def _tags(self, row: int, tags: list[str]) -> list[str]:
        out = []
        for text in tags:
            if text not in self.tags:
                tag = text.strip().lower()
                self.tags[text] = tag if TAG.match(tag) else None
            tag = self.tags[text]
            if tag is None:
                self.book.notices.add(f'"{text}" is not a tag (at most 64 letters, digits and '
                                      "- _ . : / + #): left out", row)
            elif tag not in out:
                out.append(tag)
        return sorted(out)
