"""helpdesk.services.imports.run.run: people, idempotence, rejects, strict, dry run, crash safety."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import func, select

from helpdesk.models import Contact, Event, Message, Organization, Ticket, TicketTag
from helpdesk.services.core import bulk_sql
from helpdesk.services.imports import batch as import_batch
from helpdesk.services.imports.run import (
    default_rejects_path,
    estimate_rows,
    open_import,
    run_import,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LEDGER = ["工单编号", "标题", "问题描述", "状态", "优先级", "客户姓名", "客户邮箱", "联系电话",
          "客户单位", "处理人", "创建时间", "标签", "处理记录", "客户等级"]


def xlsx(path, rows, merges=()):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    book.save(path)
    return path


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def ledger_rows():
    return [
        ["2025年工单台账"], [], LEDGER,
        [1001, "打印机卡纸", "三楼打印机卡纸", "处理中", "紧急", "王芳", "wangfang@example.cn",
         "13800138000", "华东公司", "Bob Agent", datetime(2025, 3, 5, 9, 30), "打印机、硬件",
         "已上门", "VIP"],
        [1002, "无法登录", "密码错误", "已解决", "高", "王芳二", "wangfang@example.cn", None,
         None, "张三", "2025/3/6 10:00", "账号", None, None],
        [1003, "发票抬头", None, "已关闭", "低", "李雷", None, "138-0013-9000", None, None,
         "2025年3月7日", None, None, None],
    ]


def run(desk, actor, path, **kw):
    job = open_import(path, tz=SHANGHAI, map_text=kw.pop("map_text", None))
    return run_import(desk, actor, job, **kw)


def tickets(desk):
    with desk.read() as s:
        return {t.external_id: t for t in s.execute(select(Ticket)).scalars()}


def count(desk, model):
    with desk.read() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_ledger_becomes_tickets_people_messages_and_times(desk, crew, tmp_path):
    report = run(desk, crew.agent, xlsx(tmp_path / "台账.xlsx", ledger_rows()))
    assert (report.created, report.updated, report.rejected) == (3, 0, 0)
    found = tickets(desk)
    printer, login, invoice = found["1001"], found["1002"], found["1003"]
    assert printer.status == "open" and printer.priority == "urgent"
    assert printer.created_at == datetime(2025, 3, 5, 1, 30, tzinfo=UTC)
    assert printer.fields == {"客户等级": "VIP"} and printer.assignee_id is not None
    assert login.status == "solved" and login.solved_at == login.created_at and login.closed_at is None
    assert invoice.status == "closed" and invoice.closed_at is not None
    with desk.read() as s:
        wang = s.execute(select(Contact).where(Contact.email == "wangfang@example.cn")).scalar_one()
        assert wang.name == "王芳" and wang.phone == "13800138000"
        assert printer.requester_id == login.requester_id == wang.id
        assert s.get(Organization, printer.organization_id).name == "华东公司"
        tags = set(s.execute(select(TicketTag.tag).where(TicketTag.ticket_id == printer.id)).scalars())
        assert tags == {"打印机", "硬件"}
        messages = s.execute(select(Message).where(Message.ticket_id == printer.id)
                             .order_by(Message.id)).scalars().all()
        assert [(m.kind, m.body, m.author_contact_id) for m in messages] == [
            ("reply", "三楼打印机卡纸", wang.id), ("note", "已上门", None)]
        events = s.execute(select(Event.field).where(Event.ticket_id == printer.id)).scalars().all()
        assert events == ["imported"]
    assert count(desk, Contact) == 2
    assert any('named "王芳二" here but "王芳"' in w for w in report.warnings)
    assert any('assignee "张三" is not an agent' in w for w in report.warnings)


def test_found_by_full_text_search(desk, crew, tmp_path):
    from helpdesk.services.tickets.listing import find_tickets

    run(desk, crew.agent, xlsx(tmp_path / "a.xlsx", ledger_rows()))
    with desk.read() as s:
        page = find_tickets(s, crew.agent, "卡纸")
    assert [t.external_id for t in page.tickets] == ["1001"]


def test_the_same_sheet_again_creates_nothing_twice(desk, crew, tmp_path):
    path = xlsx(tmp_path / "a.xlsx", ledger_rows())
    run(desk, crew.agent, path)
    again = run(desk, crew.agent, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert count(desk, Ticket) == 3 and count(desk, Message) == 3 and count(desk, Contact) == 2


def test_a_changed_row_updates_and_a_blank_cell_erases_nothing(desk, crew, tmp_path):
    rows = ledger_rows()
    run(desk, crew.agent, xlsx(tmp_path / "a.xlsx", rows))
    rows[3][3] = "已解决"  # status changed
    rows[3][11] = None  # tags blanked: kept
    rows[3][12] = "已上门\n更换硒鼓"  # a longer history: a new note
    rows[3][13] = None  # custom field blanked: kept
    report = run(desk, crew.agent, xlsx(tmp_path / "b.xlsx", rows))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    printer = tickets(desk)["1001"]
    assert printer.status == "solved" and printer.solved_at is not None and printer.version == 2
    assert printer.fields == {"客户等级": "VIP"}
    with desk.read() as s:
        tags = set(s.execute(select(TicketTag.tag).where(TicketTag.ticket_id == printer.id)).scalars())
        fields = s.execute(select(Event.field).where(Event.ticket_id == printer.id)).scalars().all()
        notes = s.execute(select(func.count()).where(Message.ticket_id == printer.id)).scalar_one()
    assert tags == {"打印机", "硬件"} and notes == 3
    assert "status" in fields and "messages" in fields


def test_without_an_id_column_the_fingerprint_prevents_duplicates(desk, crew, tmp_path):
    path = write_csv(tmp_path / "t.csv", [["Subject", "Customer Email", "Status"],
                                          ["Printer jams", "a@example.com", "open"],
                                          ["VPN drops", "b@example.com", "new"]])
    assert run(desk, crew.agent, path).created == 2
    again = run(desk, crew.agent, path)
    assert (again.created, again.unchanged) == (0, 2)
    assert all(t.fingerprint for t in tickets(desk).values())


def test_a_log_repeating_an_id_keeps_the_last_state(desk, crew, tmp_path):
    path = write_csv(tmp_path / "log.csv", [["number", "short description", "state"],
                                            ["INC1", "Mail down", "New"],
                                            ["INC1", "Mail down", "Active"],
                                            ["INC1", "Mail down", "Resolved"]])
    report = run(desk, crew.agent, path)
    assert (report.created, report.updated) == (1, 2)
    assert tickets(desk)["INC1"].status == "solved"


def test_a_log_imported_again_is_not_replayed_over_the_agents_work(desk, crew, tmp_path):
    """Each row of a log was applied once; running the sheet again changes nothing, even
    after an agent reopened the ticket (and the dry run says so too)."""
    from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket

    path = write_csv(tmp_path / "log.csv", [["number", "short description", "state", "priority"],
                                            ["INC1", "Mail down", "New", "normal"],
                                            ["INC1", "Mail down", "Active", "normal"],
                                            ["INC1", "Mail down", "Resolved", "high"],
                                            ["INC2", "VPN", "New", "low"]])
    run(desk, crew.agent, path, batch=2)  # the log spans two batches
    tid = tickets(desk)["INC1"].id
    desk.write(lambda s: update_ticket(s, crew.agent, tid, TicketChanges(status="open", priority="low")))
    with desk.read() as s:
        events = s.execute(select(func.count()).select_from(Event).where(Event.ticket_id == tid)).scalar_one()

    rehearsed = run(desk, crew.agent, path, dry_run=True)
    again = run(desk, crew.agent, path, batch=2)

    for report in (rehearsed, again):
        assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    inc1 = tickets(desk)["INC1"]
    assert (inc1.status, inc1.priority) == ("open", "low")
    with desk.read() as s:
        assert s.execute(select(func.count()).select_from(Event).where(Event.ticket_id == tid)).scalar_one() == events


def test_an_edited_row_of_a_log_is_applied(desk, crew, tmp_path):
    rows = [["number", "short description", "state"], ["INC1", "Mail down", "New"], ["INC1", "Mail down", "Active"]]
    run(desk, crew.agent, write_csv(tmp_path / "log.csv", rows))
    rows[2][1] = "Mail down for everyone"
    report = run(desk, crew.agent, write_csv(tmp_path / "log.csv", rows))
    assert (report.updated, report.unchanged) == (1, 1)
    assert tickets(desk)["INC1"].subject == "Mail down for everyone"


@pytest.mark.parametrize("edited", [1, 2], ids=["first-row", "middle-row"])
def test_an_earlier_row_of_a_log_edited_later_does_not_roll_the_ticket_back(desk, crew, tmp_path, edited):
    """The log's last row is where the ticket is: fixing a typo in an earlier row and
    importing again leaves it there (the rows up to the last applied one are done)."""
    rows = [["number", "short description", "state"], ["INC1", "Mail dwn", "New"],
            ["INC1", "Mail dwn", "Active"], ["INC1", "Mail dwn", "Resolved"]]
    run(desk, crew.agent, write_csv(tmp_path / "log.csv", rows))
    rows[edited][1] = "Mail down"
    report = run(desk, crew.agent, write_csv(tmp_path / "log.csv", rows))
    assert (report.updated, report.unchanged) == (0, 3)
    assert tickets(desk)["INC1"].status == "solved"


def test_a_log_returning_to_an_earlier_state_ends_there(desk, crew, tmp_path):
    rows = [["number", "short description", "state"], ["INC1", "Mail down", "New"],
            ["INC1", "Mail down", "Pending"], ["INC1", "Mail down", "New"], ["INC1", "Mail down", "Pending"],
            ["INC1", "Mail down", "New"]]
    report = run(desk, crew.agent, write_csv(tmp_path / "log.csv", rows))
    assert (report.created, report.updated) == (1, 4)
    assert tickets(desk)["INC1"].status == "new"
    again = run(desk, crew.agent, write_csv(tmp_path / "log.csv", rows))
    assert (again.updated, again.unchanged) == (0, 5)


def test_requesters_match_by_phone_then_name(desk, crew, tmp_path):
    path = write_csv(tmp_path / "p.csv", [["Subject", "Customer Name", "Phone"],
                                          ["one", "Li Lei", "+86 138-0013-9000"],
                                          ["two", "Someone", "13800139000"],
                                          ["three", "Li Lei", ""]])
    run(desk, crew.agent, path)
    with desk.read() as s:
        ids = dict(s.execute(select(Ticket.subject, Ticket.requester_id)).all())
    assert ids["one"] == ids["two"] == ids["three"] and count(desk, Contact) == 1


def test_bad_rows_are_reported_skipped_and_written_to_the_rejects_file(desk, crew, tmp_path):
    path = write_csv(tmp_path / "t.csv", [["ID", "Subject", "Status", "Created"],
                                          ["1", "fine", "open", "2025-03-05"],
                                          ["2", "bad status", "frobbed", "2025-03-05"],
                                          ["3", "", "open", "2025-03-05"]])
    report = run(desk, crew.agent, path)
    assert (report.created, report.rejected) == (1, 2)
    assert [(e.row, e.column) for e in report.errors] == [(3, "Status"), (4, "subject")]
    rejects = default_rejects_path(path)
    assert report.rejects_file == str(rejects)
    with open(rejects, encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["ID", "Subject", "Status", "Created", "rejected because"]
    assert rows[1][:3] == ["2", "bad status", "frobbed"]
    assert rows[1][4].startswith('row 3, Status: unknown status "frobbed"')
    assert rows[2][4].startswith("row 4, subject:")
    rows[1][2] = "open"  # fixed in a spreadsheet program, imported again as it is
    rows[2][1] = "now with a subject"
    write_csv(rejects, rows)
    assert run(desk, crew.agent, rejects).created == 2
    assert all(t.fields == {} for t in tickets(desk).values())  # the reason is not kept


def test_strict_writes_nothing_when_a_row_is_bad(desk, crew, tmp_path):
    path = write_csv(tmp_path / "t.csv", [["ID", "Subject", "Status"], ["1", "fine", "open"],
                                          ["2", "bad", "frobbed"]])
    report = run(desk, crew.agent, path, strict=True)
    assert report.refused and report.rejected == 1 and report.created == 0
    assert count(desk, Ticket) == 0 and default_rejects_path(path).exists()


def test_dry_run_writes_nothing_at_all(desk, crew, tmp_path):
    path = xlsx(tmp_path / "a.xlsx", ledger_rows() + [[9, "bad", None, "frobbed"]])
    report = run(desk, crew.agent, path, dry_run=True)
    assert (report.created, report.rejected, report.new_requesters) == (3, 1, 2)
    assert report.rejects_file is None and not default_rejects_path(path).exists()
    assert count(desk, Ticket) == 0 and count(desk, Contact) == 0


def seven_cases(tmp_path):
    """Seven tickets from seven new requesters: three batches of 3 with batch=3."""
    rows = [["ID", "Subject", "Customer Email"]] + [[str(n), f"case {n}", f"c{n}@example.com"]
                                                    for n in range(1, 8)]
    return write_csv(tmp_path / "t.csv", rows)


def test_a_crash_leaves_whole_batches_and_the_rerun_finishes(desk, crew, tmp_path, monkeypatch):
    path = seven_cases(tmp_path)
    real, calls = import_batch._create, []

    def crash_on_second(session, batch, drafts):
        calls.append(len(drafts))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(session, batch, drafts)

    monkeypatch.setattr(import_batch, "_create", crash_on_second)
    report = run(desk, crew.agent, path, batch=3)
    assert report.interrupted and report.created == 3
    assert count(desk, Ticket) == 3 and count(desk, Contact) == 3  # batch 2's people rolled back
    monkeypatch.setattr(import_batch, "_create", real)
    again = run(desk, crew.agent, path, batch=3)
    assert (again.created, again.unchanged) == (4, 3) and count(desk, Contact) == 7


def test_ctrl_c_while_reading_keeps_the_batch_that_was_committing(desk, crew, tmp_path, monkeypatch):
    """Batch 1 commits on the writer thread while batch 2 is read; ctrl-c in the reading
    waits for that commit, so the report counts what is stored."""
    from helpdesk.services.imports.rows import DraftMaker

    path = seven_cases(tmp_path)
    real = DraftMaker.draft

    def interrupted_at_row_6(self, record):
        if record.row == 6:
            raise KeyboardInterrupt
        return real(self, record)

    monkeypatch.setattr(DraftMaker, "draft", interrupted_at_row_6)
    report = run(desk, crew.agent, path, batch=3)
    assert report.interrupted and report.created == 3 and report.new_requesters == 3
    assert count(desk, Ticket) == 3 and count(desk, Contact) == 3
    monkeypatch.setattr(DraftMaker, "draft", real)
    again = run(desk, crew.agent, path, batch=3)
    assert (again.created, again.unchanged) == (4, 3) and count(desk, Contact) == 7


def test_a_failure_while_committing_rolls_back_that_batch_only(desk, crew, tmp_path, monkeypatch):
    from helpdesk.services.imports import run as imports

    path = seven_cases(tmp_path)
    real, calls = imports.finish_batch, []

    def fail_second(session, batch, outcome):
        calls.append(outcome.created)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(session, batch, outcome)

    monkeypatch.setattr(imports, "finish_batch", fail_second)
    with pytest.raises(RuntimeError, match="disk full"):
        run(desk, crew.agent, path, batch=3)
    assert count(desk, Ticket) == 3 and count(desk, Contact) == 3


def test_viewers_cannot_import(desk, crew, tmp_path):
    from helpdesk.errors import Forbidden

    with pytest.raises(Forbidden):
        run(desk, crew.viewer, write_csv(tmp_path / "t.csv", [["Subject"], ["x"]]))


def test_the_map_file_renames_columns_and_values(desk, crew, tmp_path):
    path = write_csv(tmp_path / "t.csv", [["Ref", "What", "State"], ["A-1", "Printer", "待审核"]])
    text = '[columns]\n"Ref" = "external_id"\n"What" = "subject"\n"State" = "status"\n' \
           '[status]\n"待审核" = "pending"\n'
    run(desk, crew.agent, path, map_text=text)
    assert tickets(desk)["A-1"].status == "pending"


def test_estimate_rows_reads_the_sheet_dimension(tmp_path):
    path = xlsx(tmp_path / "a.xlsx", ledger_rows())
    assert estimate_rows(open_import(path)) == 6
    csv_path = write_csv(tmp_path / "t.csv", [["Subject"]] + [[f"row {n}"] for n in range(100)])
    assert 90 <= estimate_rows(open_import(csv_path)) <= 110


def test_the_run_puts_the_connection_settings_back(desk, crew, tmp_path):
    if desk.backend != "sqlite":
        pytest.skip("SQLite pragmas")
    pragmas = ("cache_size", "wal_autocheckpoint")

    def settings():
        with desk.read() as s:
            return [s.connection().exec_driver_sql(f"PRAGMA {name}").scalar() for name in pragmas]

    before = settings()
    run(desk, crew.agent, write_csv(tmp_path / "t.csv", [["Subject"], ["one"], ["two"]]), batch=1)
    assert settings() == before


def test_new_people_and_tickets_are_numbered_after_the_existing_ones(desk, crew, tmp_path):
    first = run(desk, crew.agent, write_csv(tmp_path / "a.csv", [["ID", "Subject", "Customer Email", "Company"],
                                                                ["1", "one", "a@example.com", "Acme"]]))
    rows = [["ID", "Subject", "Customer Email", "Company"]] + [
        [str(n), f"case {n}", f"c{n % 3}@example.com", f"Org {n % 2}"] for n in range(2, 9)]
    second = run(desk, crew.agent, write_csv(tmp_path / "b.csv", rows), batch=2)
    assert (first.created, second.created, second.new_requesters, second.new_organizations) == (1, 7, 3, 2)
    with desk.read() as s:
        people = dict(s.execute(select(Contact.email, Contact.id)).all())
        orgs = dict(s.execute(select(Organization.id, Organization.name)).all())
        found = s.execute(select(Ticket.external_id, Ticket.requester_id, Ticket.organization_id,
                                 Ticket.created_at)).all()
    assert len(set(people.values())) == 4 and sorted(orgs.values()) == ["Acme", "Org 0", "Org 1"]
    for external_id, requester_id, organization_id, created_at in found:
        n = int(external_id)
        assert requester_id == people["a@example.com" if n == 1 else f"c{n % 3}@example.com"]
        assert orgs[organization_id] == ("Acme" if n == 1 else f"Org {n % 2}")
        assert created_at.tzinfo is not None


def test_stored_times_are_what_sqlalchemy_stores():
    moments = [datetime(2025, 3, 5, 9, 30, tzinfo=UTC), datetime(2025, 3, 5, 9, 30, 1, 250, tzinfo=SHANGHAI),
               datetime(999, 1, 2, 3, 4, 5, tzinfo=ZoneInfo("America/New_York"))]
    for moment in moments:
        naive = moment.astimezone(UTC).replace(tzinfo=None)
        expected = (f"{naive.year:04d}-{naive.month:02d}-{naive.day:02d} {naive.hour:02d}:"
                    f"{naive.minute:02d}:{naive.second:02d}.{naive.microsecond:06d}")  # SQLAlchemy's SQLite format
        assert bulk_sql.time_text(moment) == expected
