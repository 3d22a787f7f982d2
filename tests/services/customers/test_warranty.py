"""Warranty arithmetic (pure): the end of N months, the last day counting as in."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from helpdesk.services.customers.warranty import add_months, days_left, end_of, local_today, state


def test_twelve_months_bought_on_the_fifteenth_cover_to_the_fourteenth():
    assert end_of(date(2026, 1, 15), 12, None) == date(2027, 1, 14)


def test_a_day_the_last_month_lacks_is_clamped_to_its_end():
    assert end_of(date(2026, 3, 31), 1, None) == date(2026, 4, 29)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)  # leap year


def test_an_end_date_wins_and_nothing_known_is_unknown():
    assert end_of(date(2026, 1, 1), None, date(2026, 6, 30)) == date(2026, 6, 30)
    assert end_of(None, 12, None) is None and end_of(date(2026, 1, 1), None, None) is None
    assert state(None, date(2026, 1, 1)) == "unknown"


def test_the_last_day_counts_as_in_and_the_next_is_expired():
    end = date(2027, 1, 14)
    assert (state(end, end), days_left(end, end)) == ("in", 0)
    assert (state(end, date(2027, 1, 15)), days_left(end, date(2027, 1, 15))) == ("expired", -1)


def test_zero_months_is_no_warranty():
    assert state(end_of(date(2026, 5, 1), 0, None), date(2026, 5, 1)) == "expired"


def test_today_is_the_desks_local_day():
    late_utc = datetime(2026, 12, 31, 17, 0, tzinfo=timezone.utc)  # already 1 January in Shanghai
    assert local_today(late_utc, ZoneInfo("Asia/Shanghai")) == date(2027, 1, 1)
    assert local_today(late_utc, ZoneInfo("UTC")) == date(2026, 12, 31)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)), st.integers(min_value=1, max_value=240))
def test_n_months_cover_at_least_28n_days_and_end_the_day_before_the_monthiversary(bought, months):
    end = end_of(bought, months, None)
    assert 28 * months - 1 <= (end - bought).days <= 31 * months
    assert state(end, bought) == "in"
    assert add_months(bought, months) > end
