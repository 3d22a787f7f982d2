"""helpdesk.request_types: the types TOML, typed values, and stage moves (pure)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk.errors import Invalid
from helpdesk.request_types import FieldSpec, check_value, load_types, moves, previous

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "types.example.toml"


def test_the_shipped_example_loads():
    types = {t.name: t for t in load_types(EXAMPLE.read_text(encoding="utf-8"))}
    refund = types["退货退款"]
    assert [s.name for s in refund.stages] == ["客服受理", "仓储拦截", "财务退款", "客户确认"]
    assert refund.stage("财务退款").approval.approvers == ("finance",)
    assert refund.field("refund_txn_id").required_for == ("solved",)
    assert types["售后维修"].field("fault").kind == "multi"


@pytest.mark.parametrize("kind, raw, stored", [
    ("number", "12.50", "12.5"), ("number", "1,200", "1200"), ("number", "-0", "0"),
    ("date", "2026-03-05", "2026-03-05"), ("bool", "是", "true"), ("bool", "No", "false"),
    ("text", "  A-1  ", "A-1"),
])
def test_values_are_stored_canonically(kind, raw, stored):
    assert check_value(FieldSpec("k", kind), raw) == stored


def test_choices_keep_the_types_spelling_and_multi_takes_chinese_commas():
    spec = FieldSpec("fault", "multi", options=("屏幕", "电池", "Other"))
    assert check_value(spec, "电池，屏幕、other") == "电池, 屏幕, Other"
    with pytest.raises(Invalid, match="'进水' is not one of 屏幕, 电池, Other"):
        check_value(spec, "屏幕, 进水")


@pytest.mark.parametrize("spec, raw, why", [
    (FieldSpec("refund_amount", "number", min=0), "abc", "refund_amount: 'abc' is not a number"),
    (FieldSpec("refund_amount", "number", min=0), "-1", "is below the minimum 0"),
    (FieldSpec("n", "number", max=10), "10.5", "is above the maximum 10"),
    (FieldSpec("n", "number"), "nan", "is not a number"),
    (FieldSpec("n", "number"), "1e400", "is not a number"),
    (FieldSpec("pickup_date", "date"), "3月5日", "pickup_date: '3月5日' is not a date"),
    (FieldSpec("d", "date"), "2026-02-30", "is not a date"),
    (FieldSpec("b", "bool"), "maybe", "is not yes or no"),
    (FieldSpec("reason", "choice", options=("质量问题", "发错货")), "其他", "'其他' is not one of 质量问题, 发错货"),
])
def test_bad_values_name_the_field_and_why(spec, raw, why):
    with pytest.raises(Invalid, match=why):
        check_value(spec, raw)


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_a_stored_number_reads_back_as_the_same_number(x):
    stored = check_value(FieldSpec("n", "number"), format(Decimal(repr(x)), "f"))
    assert float(stored) == pytest.approx(x)
    assert check_value(FieldSpec("n", "number"), stored) == stored  # canonical: checking again keeps it


PROCESS = '''
[[types]]
name = "Refund"
[[types.stages]]
name = "a"
[[types.stages]]
name = "b"
moves = ["d", "a"]
[[types.stages]]
name = "c"
[[types.stages]]
name = "d"
'''


def test_moves_are_next_or_back_one_unless_a_stage_lists_its_own():
    kind = load_types(PROCESS)[0]
    assert moves(kind, None) == ["a"]
    assert moves(kind, "a") == ["b"]
    assert moves(kind, "b") == ["d", "a"]
    assert moves(kind, "c") == ["d", "b"]
    assert moves(kind, "d") == ["c"]
    assert previous(kind, "c") == "b" and previous(kind, "a") is None


@pytest.mark.parametrize("text, message", [
    ('[[types]]\nname = "x"\ncolour = "red"\n', "unknown key 'colour'"),
    ('[[types]]\nname = "question"\n', "'question' is built in"),
    ('[[types]]\nname = "x"\n[[types]]\nname = "X"\n', "is used twice (at line 4)"),
    ('[[types]]\nname = "x"\n[[types.fields]]\nkey = "a"\n[[types.fields]]\nkey = "b"\nkind = "money"\n',
     "field 'b': unknown kind 'money' (kinds: text, number, date, choice, multi, bool) (at line 7)"),
    ('[[types]]\nname = "x"\n[[types.fields]]\nkey = "r"\nkind = "choice"\n', "a choice needs options"),
    ('[[types]]\nname = "x"\n[[types.fields]]\nkey = "r"\nmin = 1\n', "min applies to number fields"),
    ('[[types]]\nname = "x"\n[[types.fields]]\nkey = "r"\nrequired_for = ["done"]\n', "required_for lists statuses"),
    ('[[types]]\nname = "x"\n[[types.stages]]\nname = "a"\nmoves = ["zz"]\n', "'zz', which is not one of its stages"),
    ('[[types]]\nname = "x"\n[[types.stages]]\nname = "a"\napproval = { approvers = ["f"], needed = 2 }\n',
     "needed must be 1 to 1 (the approvers listed) (at line 5)"),
    ('[[types]]\nname = "x"\n[[types.fields]]\nkey = "Order No"\n', "must be letters, digits"),
    ('[[types]]\nname = "x"\n[[types.fields]]\nkey = "a"\n[[types.fields]]\nkey = "a"\n', "'a' is listed twice"),
    ("[[types]\n", "TOML syntax error"),
])
def test_a_bad_file_names_the_problem_and_the_line(text, message):
    with pytest.raises(Invalid, match=__import__("re").escape(message)):
        load_types(text)
