"""`helpdesk report ...`: periods, queries, JSON contract keys, and the .xlsx/.html/.csv files."""

from __future__ import annotations

import zipfile

import time_machine

CONTRACT = {"created", "solved", "by_channel", "by_priority", "first_reply", "resolution", "fcr", "reopen", "sla",
            "backlog", "csat", "nps"}


def _desk(staffed):
    cli = staffed
    with time_machine.travel("2026-03-02T02:00:00Z", tick=False):
        assert cli("config", "set", "desk.timezone", "Asia/Shanghai", who="ada@example.com").code == 0
        for subject, team in (("打印机卡纸", "billing"), ("<script>alert(1)</script>", "support"),
                              ("=HYPERLINK(\"x\")", "billing")):
            r = cli("ticket", "create", "--subject", subject, "--body", "please", "--requester", "c@example.com",
                    "--team", team, "--channel", "email", who="bob@example.com")
            assert r.code == 0, r.err
    with time_machine.travel("2026-03-02T03:00:00Z", tick=False):
        assert cli("ticket", "reply", "1", "--body", "on it", who="bob@example.com").code == 0
        assert cli("ticket", "update", "1", "--status", "solved", who="bob@example.com").code == 0
    return cli


def test_summary_json_carries_the_contract_keys_and_exact_figures(staffed):
    cli = _desk(staffed)
    with time_machine.travel("2026-03-10T00:00:00Z", tick=False):
        r = cli("report", "summary", "--period", "2026-03", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert CONTRACT <= set(data)
    assert data["created"] == 3 and data["solved"] == 1
    assert data["first_reply"]["median"] == 3600 and data["first_reply"]["no_reply"] == 2
    assert data["fcr"] == {"rate": 1.0, "count": 1, "of": 1, "zero_reply": 0,
                           "one_touch": {"rate": 1.0, "count": 1, "of": 1}}
    assert data["backlog"]["total"] == 2
    assert data["csat"] is None and data["nps"] is None
    assert set(data["sla"]) == {"first_response", "resolution"}


def test_a_query_narrows_the_summary(staffed):
    cli = _desk(staffed)
    with time_machine.travel("2026-03-10T00:00:00Z", tick=False):
        data = cli("report", "summary", "team:billing", "--period", "2026-03", "--json").json()
    assert data["created"] == 2 and data["query"] == "team:billing"


def test_text_output_agents_heatmap_and_backlog(staffed):
    cli = _desk(staffed)
    with time_machine.travel("2026-03-10T00:00:00Z", tick=False):
        summary = cli("report", "summary", "--from", "2026-03-01", "--to", "2026-03-31")
        agents = cli("report", "agents", "--period", "2026-03", "--json")
        heat = cli("report", "heatmap", "--period", "2026-03", "--json")
        backlog = cli("report", "backlog", "--at", "2026-03-02T10:30", "--json")
    assert summary.code == 0 and "FCR" in summary.out and "100.0%" in summary.out
    assert agents.json()["agents"][0]["agent"] == "bob@example.com"
    assert heat.json()["cells"][0][10] == 3  # Monday 10:00 in Shanghai
    assert backlog.json()["backlog"]["total"] == 3  # 10:30 Shanghai = 02:30Z: before the solve


def test_bad_period_and_both_period_kinds_are_refused(staffed):
    cli = staffed
    r = cli("report", "summary", "--period", "2026-13")
    assert r.code == 5 and "not a period" in r.err
    r = cli("report", "summary", "--period", "2026-03", "--from", "2026-03-01")
    assert r.code == 5 and "either --period or --from/--to" in r.err
    r = cli("report", "summary", "--out", "report.pdf")
    assert r.code == 5 and ".xlsx, .html or .csv" in r.err


def test_csv_file_has_a_bom_and_guards_formulas(staffed, tmp_path):
    cli = _desk(staffed)
    path = tmp_path / "agents.csv"
    with time_machine.travel("2026-03-10T00:00:00Z", tick=False):
        assert cli("report", "summary", "--period", "2026-03", "--out", str(path)).code == 0
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "By channel" in raw.decode("utf-8-sig")


def test_xlsx_file_has_native_charts(staffed, tmp_path):
    cli = _desk(staffed)
    path = tmp_path / "march.xlsx"
    with time_machine.travel("2026-03-10T00:00:00Z", tick=False):
        assert cli("report", "summary", "--period", "2026-03", "--out", str(path)).code == 0
    names = zipfile.ZipFile(path).namelist()
    assert any(n.startswith("xl/charts/chart") for n in names)


def test_html_file_is_one_page_with_svg_and_no_script(staffed, tmp_path):
    cli = _desk(staffed)
    cli("team", "add", "<b>evil</b>", who="ada@example.com")
    with time_machine.travel("2026-03-02T04:00:00Z", tick=False):
        cli("ticket", "create", "--subject", "x", "--team", "<b>evil</b>", who="bob@example.com")
    path = tmp_path / "march.html"
    with time_machine.travel("2026-03-10T00:00:00Z", tick=False):
        assert cli("report", "summary", "--period", "2026-03", "--out", str(path)).code == 0
    text = path.read_text(encoding="utf-8")
    assert "<svg" in text and "<script" not in text.lower()
    assert "&lt;b&gt;evil&lt;/b&gt;" in text and "<b>evil" not in text
