"""`helpdesk type load|list|show`, `ticket stage|stages|approve`, typed `--field` on create and update."""

from __future__ import annotations

from pathlib import Path

import pytest

ADA, BOB = "ada@example.com", "bob@example.com"
EXAMPLE = str(Path(__file__).resolve().parents[2] / "data" / "types.example.toml")


@pytest.fixture
def shop(staffed):
    cli = staffed
    for team in ("warehouse", "finance", "repairs", "purchasing"):
        assert cli("team", "add", team, who=ADA).code == 0
    assert cli("agent", "add", "wang@example.com", "--name", "王芳", "--team", "warehouse", who=ADA).code == 0
    assert cli("agent", "add", "fang@example.com", "--name", "方敏", "--team", "finance", who=ADA).code == 0
    loaded = cli("type", "load", EXAMPLE, who=ADA)
    assert loaded.code == 0, loaded.err
    return cli


def create(cli, *fields: str):
    args = [a for f in fields for a in ("--field", f)]
    return cli("ticket", "create", "--subject", "退款", "--type", "退货退款", *args, "--json", who=BOB)


def test_type_list_and_show(shop):
    names = [t["name"] for t in shop("type", "list", "--json").json()]
    assert names == ["question", "incident", "problem", "task", "退货退款", "售后维修", "IT incident"]
    shown = shop("type", "show", "退货退款").out
    assert "field refund_amount (退款金额 / refund amount): number; ≥ 0" in shown
    assert "stage 3. 财务退款 (team finance; approval 1 of finance)" in shown
    assert shop("type", "show", "nope").code == 3


def test_a_bad_typed_create_exits_5_naming_the_field(shop):
    for fields, message in ((("refund_amount=abc",), "refund_amount: 'abc' is not a number"),
                            (("order_no=A1", "reason=其他"), "reason: '其他' is not one of"),
                            (("order_no=A1", "pickup_date=3月5日"), "pickup_date: '3月5日' is not a date"),
                            ((), "order_no: is required on create")):
        result = create(shop, *fields)
        assert result.code == 5 and message in result.err, result.err
    assert shop("ticket", "list", "--json").json()["total"] == 0


def test_the_refund_process_from_the_shell(shop):
    ticket = create(shop, "order_no=A1", "refund_amount=12.50").json()
    assert ticket["fields"]["refund_amount"] == "12.5"
    n = str(ticket["id"])
    skip = shop("ticket", "stage", n, "财务退款", who=BOB)
    assert skip.code == 5 and "from there it moves to 仓储拦截" in skip.err
    outsider = shop("ticket", "stage", n, "仓储拦截", who=BOB)
    assert outsider.code == 6 and "only team warehouse" in outsider.err
    assert shop("ticket", "stage", n, "仓储拦截", who="wang@example.com").code == 0
    moved = shop("ticket", "stage", n, "财务退款", "--json", who="fang@example.com").json()
    assert moved["team"] == "finance" and moved["changed"]["stage"] == {"old": "仓储拦截", "new": "财务退款"}
    listed = shop("ticket", "list", "approval:pending", "approver:me", "--json", who="fang@example.com").json()
    assert [t["id"] for t in listed["tickets"]] == [ticket["id"]]
    stages = shop("ticket", "stages", n).out
    assert "[财务退款]" in stages and "waiting for finance" in stages
    assert shop("ticket", "approve", n, who=BOB).code == 6
    no = shop("ticket", "approve", n, "--no", "--comment", "金额不对", who="fang@example.com")
    assert no.code == 0 and "back to 仓储拦截" in no.err
    events = shop("ticket", "show", n, "--json").json()["events"]
    assert any(e["field"] == "approval" and e["new"] == "declined" and "金额不对" in e["reason"] for e in events)
    early = shop("ticket", "update", n, "--status", "solved", "-f", "refund_txn_id=TX1", who=BOB)
    assert early.code == 4 and "from its last stage" in early.err


def test_the_import_checks_typed_cells_per_row(shop, tmp_path):
    import csv

    path = tmp_path / "refunds.csv"
    with open(path, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows([
            ["单号", "标题", "类型", "order_no", "refund_amount", "reason"],
            ["R1", "退款一", "退货退款", "TB-1", "12.50", "发错货"],
            ["R2", "退款二", "退货退款", "TB-2", "abc", "发错货"],
            ["R3", "退款三", "退货退款", "", "5", "其他"]])
    done = shop("import", str(path), "--json", "--rejects", str(tmp_path / "r.csv"), who=BOB)
    assert done.code == 0, done.err
    report = done.json()
    assert (report["created"], report["rejected"]) == (1, 2)
    errors = {(e["row"], e["column"]): e["reason"] for e in report["errors"]}
    assert errors[(3, "refund_amount")] == "'abc' is not a number"
    assert errors[(4, "reason")].startswith("'其他' is not one of")
    assert "required for type '退货退款'" in errors[(4, "order_no")]
    ticket = shop("ticket", "list", "--json").json()["tickets"][0]
    assert ticket["type"] == "退货退款" and ticket["fields"]["refund_amount"] == "12.5"
