"""Business calendars: parsing, business-time arithmetic, DST, holidays (pure, no database)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk import calendar as cal_mod
from helpdesk.calendar import (
    add_business_time,
    business_seconds_between,
    calendar_from_table,
    is_working_time,
    working_intervals,
)
from helpdesk.errors import Invalid

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS_9_17 = {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}


def make(name="office", **table):
    table.setdefault("timezone", "UTC")
    table.setdefault("hours", WEEKDAYS_9_17)
    return calendar_from_table(name, table)


def at(year, month, day, hour=0, minute=0, second=0, tz=UTC):
    return datetime(year, month, day, hour, minute, second, tzinfo=tz)


H = 3600
OFFICE = make()


# --- weekly hours ----------------------------------------------------------------


def test_due_exactly_at_period_end_is_that_moment():
    # Fri 2026-01-09 15:00 + 2h falls due Fri 17:00, not Mon 09:00.
    assert add_business_time(OFFICE, at(2026, 1, 9, 15), 2 * H) == at(2026, 1, 9, 17)
    assert add_business_time(OFFICE, at(2026, 1, 9, 15), 2 * H + 1) == at(2026, 1, 12, 9, 0, 1)


def test_clock_starting_outside_hours_starts_at_next_opening():
    assert add_business_time(OFFICE, at(2026, 1, 10, 10), H) == at(2026, 1, 12, 10)  # Saturday
    assert add_business_time(OFFICE, at(2026, 1, 12, 7), 0) == at(2026, 1, 12, 9)
    assert add_business_time(OFFICE, at(2026, 1, 9, 17), 0) == at(2026, 1, 12, 9)  # Fri close
    assert add_business_time(OFFICE, at(2026, 1, 12, 10), 0) == at(2026, 1, 12, 10)


def test_forty_business_hours_is_one_working_week():
    assert add_business_time(OFFICE, at(2026, 1, 5, 9), 40 * H) == at(2026, 1, 9, 17)
    assert business_seconds_between(OFFICE, at(2026, 1, 5, 9), at(2026, 1, 9, 17)) == 40 * H


def test_between_skips_nights_and_weekends_and_reverses_sign():
    fri, mon = at(2026, 1, 9, 16), at(2026, 1, 12, 10)
    assert business_seconds_between(OFFICE, fri, mon) == 2 * H
    assert business_seconds_between(OFFICE, mon, fri) == -2 * H
    assert business_seconds_between(OFFICE, fri, fri) == 0
    assert business_seconds_between(OFFICE, at(2026, 1, 10), at(2026, 1, 11)) == 0


def test_lunch_break_is_not_business_time():
    cal = make(hours={"mon": "09:00-12:00,13:00-18:00"})
    assert add_business_time(cal, at(2026, 1, 5, 11), 2 * H) == at(2026, 1, 5, 14)
    assert add_business_time(cal, at(2026, 1, 5, 11), H) == at(2026, 1, 5, 12)  # period end
    assert business_seconds_between(cal, at(2026, 1, 5, 11, 30), at(2026, 1, 5, 13, 30)) == H
    assert not is_working_time(cal, at(2026, 1, 5, 12, 30))
    assert is_working_time(cal, at(2026, 1, 5, 13))


def test_always_calendar_counts_real_time_across_dst():
    cal = make(timezone="America/New_York", hours="24x7")
    start = datetime(2026, 3, 8, 0, 0, tzinfo=NY)
    assert add_business_time(cal, start, 3 * H) == datetime(2026, 3, 8, 4, 0, tzinfo=NY)
    later = start.astimezone(UTC) + timedelta(days=3)  # real days, not wall-clock days
    assert business_seconds_between(cal, start, later) == 3 * 86400


def test_the_search_is_day_by_day_not_minute_by_minute(monkeypatch):
    computed = []
    real = cal_mod._compute_spans
    monkeypatch.setattr(cal_mod, "_compute_spans", lambda c, d: computed.append(d) or real(c, d))
    cal = make(name="fresh")
    assert add_business_time(cal, at(2026, 1, 5, 9), 40 * H) == at(2026, 1, 9, 17)
    assert len(computed) <= 7
    add_business_time(cal, at(2026, 1, 5, 9), 40 * H)
    assert len(computed) <= 7  # cached per date


def test_search_gives_up_with_a_clear_error():
    cal = make(hours={}, workdays=["2026-01-05"], workday_hours="09:00-17:00")
    assert add_business_time(cal, at(2026, 1, 1), H) == at(2026, 1, 5, 10)
    with pytest.raises(Invalid, match="no room for 3600s of business time within 1098 days"):
        add_business_time(cal, at(2026, 2, 1), H)


def test_naive_datetimes_and_negative_durations_are_refused():
    with pytest.raises(ValueError):
        add_business_time(OFFICE, datetime(2026, 1, 5, 9), H)
    with pytest.raises(ValueError):
        add_business_time(OFFICE, at(2026, 1, 5, 9), -1)


# --- holidays, make-up days, year end --------------------------------------------------


def test_explicit_holiday_is_closed():
    cal = make(holidays=["2026-12-25"])  # a Friday
    assert add_business_time(cal, at(2026, 12, 24, 16), 2 * H) == at(2026, 12, 28, 10)


def test_year_end():
    cal = make(holidays=["2027-01-01"])
    assert add_business_time(cal, at(2026, 12, 31, 16), 2 * H) == at(2027, 1, 4, 10)
    assert business_seconds_between(cal, at(2026, 12, 31, 16), at(2027, 1, 4, 10)) == 2 * H
    local = make(timezone="Asia/Shanghai", hours="24x7")  # the year ends 8h before UTC's
    assert business_seconds_between(local, at(2026, 12, 31, 15), at(2027, 1, 1, 1)) == 10 * H
    assert add_business_time(local, at(2026, 12, 31, 23, 59, 59, SHANGHAI), 2) == at(
        2027, 1, 1, 0, 0, 1, SHANGHAI)


def test_country_holidays_close_cn_national_day():
    cal = make(timezone="Asia/Shanghai", hours={d: "09:00-18:00" for d in WEEKDAYS_9_17},
               holiday_country="CN")
    assert not working_intervals(cal, date(2026, 10, 1))
    # Wed 30 Sep 17:00 + 2h: 1-7 October are off, so due Thu 8 Oct 10:00.
    due = add_business_time(cal, at(2026, 9, 30, 17, tz=SHANGHAI), 2 * H)
    assert due == at(2026, 10, 8, 10, tz=SHANGHAI)
    # The holidays package also knows the weekend make-up days (Sat 10 Oct 2026).
    assert is_working_time(cal, at(2026, 10, 10, 10, tz=SHANGHAI))


def test_make_up_workday_uses_mondays_hours_or_workday_hours():
    lunch = {"mon": "09:00-12:00,13:00-18:00", "fri": "09:00-18:00"}
    cal = make(timezone="Asia/Shanghai", hours=lunch, workdays=["2026-09-27"])  # a Sunday
    assert add_business_time(cal, at(2026, 9, 26, 10, tz=SHANGHAI), 4 * H) == at(
        2026, 9, 27, 14, tz=SHANGHAI)
    assert not is_working_time(cal, at(2026, 9, 27, 12, 30, tz=SHANGHAI))
    own = make(timezone="Asia/Shanghai", hours=lunch, workdays=["2026-09-27"],
               workday_hours="10:00-16:00")
    assert add_business_time(own, at(2026, 9, 26, 10, tz=SHANGHAI), 2 * H) == at(
        2026, 9, 27, 12, tz=SHANGHAI)


def test_explicit_workday_beats_country_holiday_and_explicit_holiday_beats_make_up_day():
    cal = make(timezone="Asia/Shanghai", holiday_country="CN", workdays=["2026-10-01"],
               holidays=["2026-10-10"])
    assert is_working_time(cal, at(2026, 10, 1, 10, tz=SHANGHAI))
    assert not is_working_time(cal, at(2026, 10, 10, 10, tz=SHANGHAI))


def test_holiday_subdivision():
    cal = make(timezone="America/Los_Angeles", holiday_country="us", holiday_subdiv="CA")
    assert cal.holiday_country == "US"
    assert not working_intervals(cal, date(2026, 3, 31))  # César Chávez Day, California only
    assert working_intervals(make(timezone="America/Los_Angeles", holiday_country="US"),
                             date(2026, 3, 31))


# --- daylight saving -------------------------------------------------------------------


def sunday_cal(zone: str, hours: str):
    return make(timezone=zone, hours={**WEEKDAYS_9_17, "sun": hours})


def test_new_york_spring_forward_range_spanning_the_skipped_hour():
    cal = sunday_cal("America/New_York", "00:00-06:00")  # 8 Mar 2026: 02:00 -> 03:00
    day = (datetime(2026, 3, 8, 0, tzinfo=NY), datetime(2026, 3, 8, 6, tzinfo=NY))
    assert business_seconds_between(cal, *day) == 5 * H
    assert add_business_time(cal, day[0], 5 * H) == day[1]
    assert add_business_time(cal, datetime(2026, 3, 8, 1, 30, tzinfo=NY), 2 * H) == datetime(
        2026, 3, 8, 4, 30, tzinfo=NY)


def test_new_york_fall_back_range_spanning_the_repeated_hour():
    cal = sunday_cal("America/New_York", "00:00-06:00")  # 1 Nov 2026: 02:00 -> 01:00
    day = (datetime(2026, 11, 1, 0, tzinfo=NY), datetime(2026, 11, 1, 6, tzinfo=NY))
    assert business_seconds_between(cal, *day) == 7 * H
    assert add_business_time(cal, day[0], 7 * H) == day[1]
    first_0130 = datetime(2026, 11, 1, 1, 30, tzinfo=NY)  # fold=0, EDT
    second_0130 = add_business_time(cal, first_0130, H)
    # (compared in UTC: Python treats ambiguous fold=1 times as unequal across zones)
    assert second_0130 == datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY).astimezone(UTC)
    assert second_0130.astimezone(NY).strftime("%H:%M %Z") == "01:30 EST"


def test_berlin_both_directions():
    cal = sunday_cal("Europe/Berlin", "01:00-04:00")
    spring = datetime(2026, 3, 29, 1, tzinfo=BERLIN), datetime(2026, 3, 29, 4, tzinfo=BERLIN)
    autumn = datetime(2026, 10, 25, 1, tzinfo=BERLIN), datetime(2026, 10, 25, 4, tzinfo=BERLIN)
    assert business_seconds_between(cal, *spring) == 2 * H
    assert business_seconds_between(cal, *autumn) == 4 * H
    assert add_business_time(cal, spring[0], 90 * 60) == datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN)
    assert add_business_time(cal, autumn[0], 4 * H) == autumn[1]


def test_range_inside_the_skipped_or_repeated_hour():
    cal = sunday_cal("Europe/Berlin", "02:15-02:45")
    assert working_intervals(cal, date(2026, 3, 29)) == ()  # the wall clock never shows 02:xx
    twice = working_intervals(cal, date(2026, 10, 25))  # ... and shows it twice here
    assert [b - a for a, b in twice] == [timedelta(minutes=30)] * 2
    assert business_seconds_between(cal, at(2026, 10, 25), at(2026, 10, 26)) == H


def test_weekday_hours_across_a_dst_weekend():
    cal = make(timezone="America/New_York")
    fri, mon = datetime(2026, 3, 6, 16, tzinfo=NY), datetime(2026, 3, 9, 10, tzinfo=NY)
    assert business_seconds_between(cal, fri, mon) == 2 * H
    assert add_business_time(cal, fri, 2 * H) == mon


# --- parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table, message",
    [
        ({"hours": {}}, "calendars.office: no working time at all"),
        ({"hours": {"mon": "18:00-09:00"}}, "calendars.office: hours.mon: range '18:00-09:00' ends before"),
        ({"hours": {"mon": "09:00-12:00,11:00-13:00"}}, "ranges 09:00-12:00 and 11:00-13:00 overlap"),
        ({"hours": {"mon": "9-5"}}, "bad hours range '9-5'"),
        ({"hours": {"mon": "09:00-24:30"}}, "bad time in '09:00-24:30'"),
        ({"hours": {"tues": "09:00-17:00"}}, "calendars.office: hours: unknown day 'tues'"),
        ({"hours": "24/7"}, "must be \"24x7\" or a table"),
        ({"holidays": ["2026-02-30"]}, "holidays: bad date '2026-02-30'"),
        ({"holidays": "2026-01-01"}, "holidays: must be a list of dates"),
        ({"workdays": ["next monday"]}, "workdays: bad date 'next monday'"),
        ({"timezone": "Mars/Olympus"}, "timezone: unknown time zone 'Mars/Olympus'"),
        ({"timezone": None}, "timezone: missing timezone"),
        ({"holiday": ["2026-01-01"]}, "unknown key 'holiday' (did you mean 'holidays'?)"),
        ({"holiday_country": "XX"}, "holiday_country: not supported"),
        ({"holiday_country": "US", "holiday_subdiv": "ZZ"}, "holiday_subdiv: not supported"),
        ({"holiday_subdiv": "CA"}, "holiday_subdiv: needs holiday_country"),
        ({"holidays": ["2026-01-05"], "workdays": ["2026-01-05"]}, "both a holiday and a workday"),
        ({"workdays": ["2026-01-04"], "workday_hours": ""}, "workday_hours: must not be empty"),
    ],
)
def test_invalid_calendars_name_the_problem(table, message):
    with pytest.raises(Invalid) as caught:
        make(**table)
    assert message in str(caught.value)


def test_calendar_table_round_trip_and_full_day_names():
    cal = make(timezone="Asia/Shanghai", hours={"Monday": "13:00-18:00,09:00-12:00"},
               holidays=[date(2026, 10, 1)], holiday_country="CN", workdays=["2026-09-27"],
               workday_hours="09:00-17:00")
    table = cal.to_table()
    assert table["hours"] == {"mon": "09:00-12:00,13:00-18:00"}
    assert table["holidays"] == ["2026-10-01"]
    assert calendar_from_table("office", table) == cal
    always = make(hours="24x7")
    assert always.to_table()["hours"] == "24x7"
    assert calendar_from_table("office", always.to_table()) == always


# --- properties ---------------------------------------------------------------------------

CALENDARS = [
    make(timezone="America/New_York",
         hours={"mon": "09:00-12:00,13:00-18:00", "tue": "09:00-17:00", "fri": "08:30-17:00",
                "sun": "00:30-03:30"}, holidays=["2026-11-26"]),
    make(timezone="Europe/Berlin", hours={"wed": "01:00-04:00,22:00-24:00", "sun": "02:15-02:45,03:00-09:00"}),
    make(timezone="Asia/Shanghai", hours={d: "09:00-18:00" for d in WEEKDAYS_9_17},
         holiday_country="CN", workdays=["2026-09-27"]),
    make(timezone="America/New_York", hours="24x7"),
]
instants = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 2, 1),
                        timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0))
calendars = st.sampled_from(CALENDARS)
durations = st.integers(min_value=0, max_value=80 * H)


def is_period_end(cal, instant):
    local = instant.astimezone(cal.zone).date()
    return any(b == instant for d in (local - timedelta(days=1), local)
               for _, b in working_intervals(cal, d))


@settings(max_examples=300, deadline=None)
@given(calendars, instants, durations)
def test_adding_then_measuring_gives_the_duration_back(cal, start, seconds):
    due = add_business_time(cal, start, seconds)
    assert due >= start
    assert business_seconds_between(cal, start, due) == seconds
    assert is_working_time(cal, due) or is_period_end(cal, due)


@settings(max_examples=200, deadline=None)
@given(calendars, instants, instants, durations)
def test_due_time_is_monotonic_in_the_start(cal, a, b, seconds):
    a, b = sorted((a, b))
    assert add_business_time(cal, a, seconds) <= add_business_time(cal, b, seconds)


@settings(max_examples=200, deadline=None)
@given(calendars, instants, durations, st.integers(min_value=1, max_value=40 * H))
def test_adding_in_two_steps_equals_adding_once(cal, start, x, y):
    assert add_business_time(cal, add_business_time(cal, start, x), y) == add_business_time(
        cal, start, x + y)


@settings(max_examples=200, deadline=None)
@given(calendars, instants, instants, instants)
def test_between_is_additive_and_antisymmetric(cal, a, b, c):
    ab = business_seconds_between(cal, a, b)
    assert ab == -business_seconds_between(cal, b, a)
    assert ab + business_seconds_between(cal, b, c) == business_seconds_between(cal, a, c)
    assert abs(ab) <= abs((b - a).total_seconds())


# --- the interval table against the plain day walk ------------------------------------------
# add_business_time and business_seconds_between answer from a per-calendar table of
# working intervals with running sums; these walk the working intervals day by day
# instead (the straightforward way, as the module first did) to check them against.


def walk_add(cal, start, seconds):
    """The reference add_business_time: every working interval from the day before the start."""
    start = start.astimezone(UTC)
    left = timedelta(seconds=seconds)
    first = start.astimezone(cal.zone).date() - timedelta(days=1)
    for offset in range(cal_mod.SEARCH_LIMIT_DAYS):
        for a, b in working_intervals(cal, first + timedelta(days=offset)):
            if b <= start:
                continue
            a = max(a, start)
            if left <= b - a:
                return a + left
            left -= b - a
    return None  # no room: add_business_time raises Invalid


def walk_between(cal, a, b):
    """The reference business_seconds_between: clip every interval of every day, round down."""
    if b < a:
        return -walk_between(cal, b, a)
    day, last = a.astimezone(cal.zone).date() - timedelta(days=1), b.astimezone(cal.zone).date()
    total = timedelta()
    while day <= last + timedelta(days=1):
        for start, end in working_intervals(cal, day):
            lo, hi = max(start, a), min(end, b)
            if lo < hi:
                total += hi - lo
        day += timedelta(days=1)
    return total // timedelta(seconds=1)


def check_against_walk(cal, start, seconds, other):
    expected = walk_add(cal, start, seconds)
    if expected is None:
        with pytest.raises(Invalid, match="no room"):
            add_business_time(cal, start, seconds)
    else:
        due = add_business_time(cal, start, seconds)
        assert due == expected and due.tzinfo is UTC
    assert business_seconds_between(cal, start, other) == walk_between(cal, start, other)


def near_a_boundary(cal, day, index, nudge):
    """An instant at (or a second or a microsecond off) a working interval's start or end
    on `day` or the next working day: openings, closings and starts outside working time."""
    while not working_intervals(cal, day):
        day += timedelta(days=1)
    spans = working_intervals(cal, day)
    edge = [edge for span in spans for edge in span][index % (2 * len(spans))]
    return edge + nudge


NUDGES = [timedelta(0), timedelta(seconds=1), -timedelta(seconds=1),
          timedelta(microseconds=1), -timedelta(microseconds=1), timedelta(microseconds=500_000)]
days = st.dates(min_value=date(2024, 12, 1), max_value=date(2027, 6, 30))
micro_instants = st.datetimes(min_value=datetime(2024, 12, 1), max_value=datetime(2027, 6, 30),
                              timezones=st.just(UTC))  # across DST changes and year ends, with microseconds


@st.composite
def edgy_instants(draw, cal):
    if draw(st.booleans()):
        return draw(micro_instants)
    return near_a_boundary(cal, draw(days), draw(st.integers(0, 5)), draw(st.sampled_from(NUDGES)))


@st.composite
def cases(draw):
    cal = draw(calendars)
    seconds = draw(st.one_of(st.integers(0, 300 * H), st.sampled_from([0, 1, H, 8 * H, 9 * H, 40 * H])))
    return cal, draw(edgy_instants(cal)), seconds, draw(edgy_instants(cal))


@settings(max_examples=600, deadline=None)
@given(cases())
def test_table_equals_walking_every_day(case):
    cal, start, seconds, other = case
    check_against_walk(cal, start, seconds, other)
    assert business_seconds_between(cal, other, start) == -walk_between(cal, start, other)


@settings(max_examples=150, deadline=None)
@given(cases(), st.integers(min_value=0, max_value=3))
def test_a_small_table_that_restarts_and_splits_long_spans_gives_the_same(case, which):
    """With a cap of a few weeks the table starts afresh and long spans go in pieces."""
    cal, start, seconds, other = case
    fresh = make(**{"name": "small", **cal.to_table()})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cal_mod, "_MAX_TABLE_DAYS", (40, 90, 400, 1200)[which])
        check_against_walk(fresh, start, seconds, other)
        check_against_walk(fresh, other, seconds, start)


def test_microseconds_count_exactly_over_long_spans():
    always = make(hours="24x7")
    a = datetime(2026, 1, 5, 10, 0, 0, 500_000, tzinfo=UTC)
    for days_later in (2, 7, 400):  # short spans were walked, long ones summed day totals
        b = a + timedelta(days=days_later, microseconds=100_000)
        assert business_seconds_between(always, a, b) == days_later * 86400
        assert business_seconds_between(always, b, a) == -days_later * 86400
    assert add_business_time(always, a, 7 * 86400) == a + timedelta(days=7)
    assert add_business_time(OFFICE, at(2026, 1, 9, 16, 59, 59).replace(microsecond=250_000), 1) == (
        at(2026, 1, 12, 9).replace(microsecond=250_000))


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_the_search_limit_is_exact_to_the_day(zone):
    """The last day searched is the start's local date + SEARCH_LIMIT_DAYS - 2, as the
    day walk did; two whole working days in a row merge into one interval across it."""
    cal = make(name=f"limit-{zone}", timezone=zone, hours={},
               workdays=["2030-01-07", "2030-01-08"], workday_hours="00:00-24:00")
    tz = ZoneInfo(zone)
    last_ok = datetime(2030, 1, 7, 12, tzinfo=tz) - timedelta(days=cal_mod.SEARCH_LIMIT_DAYS - 2)
    assert add_business_time(cal, last_ok, H) == datetime(2030, 1, 7, 1, tzinfo=tz)
    assert add_business_time(cal, last_ok, 24 * H) == datetime(2030, 1, 8, tzinfo=tz)  # the end of day one
    for start, seconds in [(last_ok, 24 * H + 1), (last_ok - timedelta(days=1), 0),
                           (last_ok - timedelta(days=1), H)]:
        with pytest.raises(Invalid, match="no room"):
            add_business_time(cal, start, seconds)
        assert walk_add(cal, start, seconds) is None
    # from inside working time, microseconds past the closing are past it too
    first_day = date(2030, 1, 7) - timedelta(days=cal_mod.SEARCH_LIMIT_DAYS - 2)
    cal = make(name=f"limit-micro-{zone}", timezone=zone, hours={}, workday_hours="00:00-24:00",
               workdays=[first_day.isoformat(), "2030-01-07", "2030-01-08"])
    start = datetime(first_day.year, first_day.month, first_day.day, 12, 0, 0, 500_000, tzinfo=tz)
    assert add_business_time(cal, start, 36 * H - 1) == datetime(2030, 1, 7, 23, 59, 59, 500_000, tzinfo=tz)
    with pytest.raises(Invalid, match="no room"):
        add_business_time(cal, start, 36 * H)
    assert walk_add(cal, start, 36 * H) is None


def test_decades_old_and_zero_dated_tickets_keep_the_table_bounded():
    cal = make(name="sheet", timezone="Europe/Berlin", holidays=["2026-12-25"])
    now = at(2026, 6, 1, 12)
    for created in (at(1990, 3, 4, 10, 30), at(1899, 12, 30), at(2026, 5, 29, 16)):
        assert add_business_time(cal, created, 9 * H) == walk_add(cal, created, 9 * H)
        if created.year > 1900:  # (walking 127 years is slow)
            assert business_seconds_between(cal, created, now) == walk_between(cal, created, now)
        table = cal._memo["table"]
        assert table.last - table.first <= cal_mod._MAX_TABLE_DAYS
    # a spreadsheet's zero date to now is one table: both ends exact, the middle from running sums
    zero = at(1899, 12, 30)
    assert business_seconds_between(cal, zero, now) == (
        business_seconds_between(cal, zero, at(1990, 3, 4, 10, 30))
        + walk_between(cal, at(1990, 3, 4, 10, 30), now))


def test_growing_the_table_swaps_in_a_new_one_and_leaves_the_old_untouched():
    """Threads share calendars (TUI workers, the scheduler): a reader's table never changes."""
    cal = make(name="shared", timezone="America/New_York")
    add_business_time(cal, at(2026, 3, 2, 9), 40 * H)
    old = cal._memo["table"]
    frozen = (old.first, old.last, list(old.starts), list(old.ends), list(old.cum))
    assert add_business_time(cal, at(2026, 6, 1, 9), 40 * H) == walk_add(cal, at(2026, 6, 1, 9), 40 * H)
    assert business_seconds_between(cal, at(2025, 1, 1), at(2026, 1, 1)) == walk_between(
        cal, at(2025, 1, 1), at(2026, 1, 1))
    assert cal._memo["table"] is not old
    assert (old.first, old.last, old.starts, old.ends, old.cum) == frozen
