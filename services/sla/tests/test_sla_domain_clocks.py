"""Pure rules of sla's clocks (no I/O): extensions (SLA-05, SLA-14, SLA-21), pauses, breach stamps, business time,
organisation calendars; the arithmetic is checked against deliberately plain oracles with hypothesis."""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tousu.contracts.policy import Duration, Extension, ExtensionGrant, LengthBy, Stage, StartTrigger, Trigger
from tousu.contracts.types import SHANGHAI, ClockKind
from tousu.kit.calendar import BusinessHours, WorkingCalendar, YearCalendar
from tousu.sla.domain.calendars import OrgCalendar, build_calendar
from tousu.sla.domain.clocks import (
    Act,
    ExtensionOutcome,
    as_instant,
    breach_after,
    breach_of,
    business_time_between,
    decide_extension,
    owner_of,
    resumed_due,
    stage_length,
    warning_instant,
)


def span(first: str, last: str) -> set[date]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return {a + timedelta(days=i) for i in range((b - a).days + 1)}


HOLIDAYS = span("2026-04-04", "2026-04-06") | span("2026-05-01", "2026-05-05") | span("2026-10-01", "2026-10-07")
MAKE_UP = {date(2026, 5, 9), date(2026, 10, 10)}
TC = WorkingCalendar({2026: YearCalendar(2026, HOLIDAYS, MAKE_UP, "TC-2026 excerpt")}, package_years=())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# -- extensions ---------------------------------------------------------------------------------------------------

EXPLAINED_AND_PERMITTED = Extension(
    allowed=True,
    requires=["explanation", "written_report", "approval"],
    granted_by=[ExtensionGrant(event="complaint.extension_decided", when={"approved": True})],
)
APPROVED_CAP_7WD = Extension(
    allowed=True,
    requires=["approval"],
    granted_by=[ExtensionGrant(event="complaint.extension_decided")],
    cap=Duration(clock=ClockKind.WORKING_DAYS, length=7),
)
DUE, BREACH = at("2026-10-08T23:59:59"), at("2026-10-09T00:00:00")
REQUEST = Act("complaint.extension_requested", at("2026-10-08T15:00"))
DECISION = Act("complaint.extension_decided", at("2026-10-08T15:30"))


def decide(
    rule: Extension, grant: Act, until: str | None, recorded: list[Act], cap: str | None = None
) -> ExtensionOutcome:
    return decide_extension(
        rule,
        grant,
        at(until) if until else None,
        due_at=DUE,
        breach_at=BREACH,
        cap_at=at(cap) if cap else None,
        recorded=recorded,
    )


def test_sla14_explained_reported_and_permitted_inside_the_limit() -> None:
    outcome = decide(EXPLAINED_AND_PERMITTED, DECISION, "2026-10-13T23:59:59", [REQUEST])
    assert (outcome.granted, outcome.new_due_at) == (True, at("2026-10-13T23:59:59"))


def test_sla14_the_superiors_permission_may_come_after_the_limit_when_asked_inside_it() -> None:
    late_decision = Act("complaint.extension_decided", at("2026-10-09T10:00"))
    assert decide(EXPLAINED_AND_PERMITTED, late_decision, "2026-10-13T23:59:59", [REQUEST]).granted


@pytest.mark.parametrize(
    ("recorded", "reason"),
    [
        ([], "requirement explanation not met"),
        (
            [Act("complaint.extension_requested", at("2026-10-09T09:00"))],
            "requirement explanation not met inside the limit",
        ),
        (
            [Act("complaint.extension_requested", at("2026-10-08T15:00"), explained=False)],
            "requirement explanation not met",
        ),
    ],
)
def test_sla14_as05c_without_an_explanation_inside_the_limit_there_is_no_extension(
    recorded: list[Act], reason: str
) -> None:
    outcome = decide(EXPLAINED_AND_PERMITTED, DECISION, "2026-10-13T23:59:59", recorded)
    assert (outcome.granted, outcome.reason) == (False, reason)


def test_sla21_an_approval_is_capped_at_7_working_days_and_must_itself_be_in_time() -> None:
    capped = decide(APPROVED_CAP_7WD, DECISION, "2026-10-20T23:59:59", [], cap="2026-10-15T23:59:59")
    assert (capped.granted, capped.new_due_at, capped.capped) == (True, at("2026-10-15T23:59:59"), True)
    to_cap = decide(APPROVED_CAP_7WD, DECISION, None, [], cap="2026-10-15T23:59:59")
    assert to_cap.new_due_at == at("2026-10-15T23:59:59")
    late = Act("complaint.extension_decided", at("2026-10-09T00:00:00"))
    assert not decide(APPROVED_CAP_7WD, late, "2026-10-12T23:59:59", [], cap="2026-10-15T23:59:59").granted


def test_an_extension_must_move_the_due_later_and_needs_a_time() -> None:
    assert decide(APPROVED_CAP_7WD, DECISION, "2026-10-08T12:00", []).reason == (
        "the new due time is not later than the current one"
    )
    assert decide(APPROVED_CAP_7WD, DECISION, None, []).reason == "no new due time given"
    assert not decide(Extension(), DECISION, "2026-10-13T23:59:59", []).granted


def test_sla05_the_progress_report_itself_is_the_act_and_must_be_before_the_due() -> None:
    rule = Extension(
        allowed=True,
        requires=["progress_report"],
        granted_by=[ExtensionGrant(event="complaint.progress_reported", until="promised_reply_at")],
    )
    report = Act("complaint.progress_reported", at("2026-10-08T16:00"))
    assert decide(rule, report, "2026-10-12T17:00", []).granted
    late = Act("complaint.progress_reported", at("2026-10-09T08:00"))
    assert not decide(rule, late, "2026-10-12T17:00", []).granted


# -- instants -------------------------------------------------------------------------------------------------------


def test_contract6_breach_stamps() -> None:
    assert breach_of(ClockKind.WORKING_DAYS, DUE) == BREACH
    assert breach_of(ClockKind.HOURS, at("2026-05-11T14:00")) == at("2026-05-11T14:00")
    assert breach_after(at("2026-10-13T23:59:59")) == at("2026-10-14T00:00:00")
    assert breach_after(at("2026-04-17T17:00")) == at("2026-04-17T17:00")


def test_conv07_a_bare_date_is_its_last_second_and_naive_instants_are_refused() -> None:
    assert as_instant("2026-05-20") == at("2026-05-20T23:59:59")
    assert as_instant("2026-05-20T02:00:00+00:00") == at("2026-05-20T10:00")
    assert as_instant(None) is None
    with pytest.raises(ValueError, match="offset"):
        as_instant("2026-05-20T10:00:00")


def test_conv12_warning_at_a_fraction_of_the_window_in_whole_seconds() -> None:
    assert warning_instant(at("2026-05-08T14:00"), at("2026-05-09T14:00"), 0.75) == at("2026-05-09T08:00")
    assert warning_instant(at("2026-05-08T14:00"), at("2026-05-09T14:00"), None) is None


# -- pauses ---------------------------------------------------------------------------------------------------------


def test_a_pause_moves_each_kind_of_clock_by_what_was_left() -> None:
    hours = resumed_due(TC, ClockKind.HOURS, at("2026-03-09T21:04"), at("2026-03-09T10:00"), at("2026-03-09T12:00"))
    assert hours == at("2026-03-09T23:04")
    # working days: 2 left after the pause day (04-08, 04-09); counted again from 04-10 as day 0
    days = resumed_due(
        TC, ClockKind.WORKING_DAYS, at("2026-04-09T23:59:59"), at("2026-04-07T10:00"), at("2026-04-10T09:00")
    )
    assert days == at("2026-04-14T23:59:59")
    # paused on its last day, resumed on a rest day: the next working day
    last = resumed_due(
        TC, ClockKind.WORKING_DAYS, at("2026-04-03T23:59:59"), at("2026-04-03T10:00"), at("2026-04-05T10:00")
    )
    assert last == at("2026-04-07T23:59:59")
    calendar_days = resumed_due(
        TC, ClockKind.CALENDAR_DAYS, at("2026-06-17T23:59:59"), at("2026-06-10T10:00"), at("2026-06-12T10:00")
    )
    assert calendar_days == at("2026-06-19T23:59:59")
    hours_of_work = BusinessHours.of("08:30-12:00", "13:30-18:00")
    office = WorkingCalendar(TC.years, business_hours=hours_of_work, package_years=())
    # 8 working hours from Fri 15:00 are due Tue 15:00; paused Fri 16:00 (7 h left), resumed Tue 09:00 → Tue 17:30
    working = resumed_due(
        office, ClockKind.WORKING_HOURS, at("2026-04-07T15:00"), at("2026-04-03T16:00"), at("2026-04-07T09:00")
    )
    assert working == at("2026-04-07T17:30")


KINDS = st.sampled_from(
    [ClockKind.HOURS, ClockKind.WORKING_DAYS, ClockKind.WORKING_HOURS, ClockKind.CALENDAR_DAYS, ClockKind.SAME_DAY]
)
INSTANTS = st.datetimes(min_value=datetime(2026, 3, 25), max_value=datetime(2026, 5, 20)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=SHANGHAI)
)


@given(kind=KINDS, start=INSTANTS, length=st.integers(1, 6))
@settings(max_examples=150, deadline=None)
def test_a_pause_that_lasts_no_time_changes_nothing(kind: ClockKind, start: datetime, length: int) -> None:
    due = TC.deadline(start, kind, 0 if kind is ClockKind.SAME_DAY else length).due_at
    assert resumed_due(TC, kind, due, start, start) == due


def plain_is_working(d: date) -> bool:
    return d in MAKE_UP or (d.weekday() < 5 and d not in HOLIDAYS)


@given(paused=INSTANTS, pause_days=st.integers(0, 12), length=st.integers(1, 8))
@settings(max_examples=200, deadline=None)
def test_a_paused_working_day_clock_against_a_plain_count(paused: datetime, pause_days: int, length: int) -> None:
    due = TC.deadline(paused, ClockKind.WORKING_DAYS, length).due_at  # started at the pause: `length` days left
    resumed = paused + timedelta(days=pause_days, hours=1)
    day, left = resumed.date(), length
    while left:
        day += timedelta(days=1)
        left -= plain_is_working(day)
    assert resumed_due(TC, ClockKind.WORKING_DAYS, due, paused, resumed) == datetime.combine(
        day, time(23, 59, 59), SHANGHAI
    )


@given(
    a=INSTANTS,
    minutes=st.integers(0, 8 * 24 * 60),
    opens=st.integers(6 * 60, 11 * 60),
    lunch=st.integers(0, 120),
    closes=st.integers(15 * 60, 20 * 60),
)
@settings(max_examples=60, deadline=None)
def test_conv04_business_time_against_a_minute_by_minute_count(
    a: datetime, minutes: int, opens: int, lunch: int, closes: int
) -> None:
    def hhmm(m: int) -> str:
        return f"{m // 60:02d}:{m % 60:02d}"

    periods = (
        [f"{hhmm(opens)}-12:00", f"{hhmm(12 * 60 + lunch)}-{hhmm(closes)}"]
        if lunch
        else [f"{hhmm(opens)}-{hhmm(closes)}"]
    )
    calendar = WorkingCalendar(TC.years, business_hours=BusinessHours.of(*periods), package_years=())
    b = a + timedelta(minutes=minutes)
    counted = 0
    for i in range(minutes):
        moment = a + timedelta(minutes=i)
        of_day = moment.hour * 60 + moment.minute
        inside = (
            (opens <= of_day < 12 * 60) or (12 * 60 + lunch <= of_day < closes) if lunch else opens <= of_day < closes
        )
        counted += plain_is_working(moment.date()) and inside
    assert business_time_between(calendar, a, b) == timedelta(minutes=counted)


# -- who, how long, which calendar -----------------------------------------------------------------------------------


def stage(**fields: object) -> Stage:
    base: dict[str, object] = {
        "id": "S",
        "name": "s",
        "rule": ["SLA-01"],
        "clock": ClockKind.HOURS,
        "length": 12,
        "start": [StartTrigger(event="complaint.assigned")],
        "stop": [Trigger(event="complaint.replied")],
        "owner": "assignee",
    }
    return Stage.model_validate({**base, **fields})


def test_sla48_50_length_by_severity_else_the_stages_own() -> None:
    fault = stage(length_by=LengthBy(field="fault.severity", values={"severe": 2, "important": 4}))
    assert stage_length(fault, 12, {}, {"fault": {"severity": "severe"}}) == 2
    assert stage_length(fault, 12, {"fault": {"severity": "important"}}, {}) == 4
    assert stage_length(fault, 12, {}, {"fault": {"severity": "unheard-of"}}) == 12
    assert stage_length(fault, 12, {}, {}) == 12


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        ("assignee", "u-assigned"),
        ("forward_target", "u-target"),
        ("receiving_unit", "u-recv"),
        ("respondent_unit", "u-resp"),
        ("holder", "u-holder"),
        ("superior", "u-parent"),
        ("lodged_with", "u-lodged"),
        ("role:city", "u-city"),
    ],
)
def test_owner_keywords(owner: str, expected: str) -> None:
    parents = {"u-holder": "u-parent", "u-parent": "u-city", "u-city": None}
    kinds = {"u-city": "city"}
    data = {"unit": "u-assigned", "lodged_with": "u-lodged"}
    if owner == "forward_target":
        data = {"to_unit": "u-target"}
    facts = {"receiving_unit": "u-recv", "respondent_unit": "u-resp"}
    assert owner_of(stage(owner=owner), data, facts, "u-holder", parents.get, kinds.get) == expected


def test_conv08_organisation_calendars_nearer_wins_and_business_hours_come_from_the_nearest() -> None:
    bank = OrgCalendar("bank", frozenset({date(2026, 6, 1)}), frozenset(), BusinessHours.of("09:00-17:00"), "bank")
    outlet = OrgCalendar("outlet", frozenset(), frozenset({date(2026, 6, 1)}), None, "outlet")
    from tousu.contracts.policy import CalendarRules

    rules = CalendarRules()
    bank_only = build_calendar(TC.years.values(), [bank], rules)
    both = build_calendar(TC.years.values(), [bank, outlet], rules)
    assert not bank_only.is_working_day(date(2026, 6, 1))
    assert both.is_working_day(date(2026, 6, 1))
    assert both.business_hours == BusinessHours.of("09:00-17:00")
    assert build_calendar(TC.years.values(), [], rules).business_hours == BusinessHours.of("08:30-12:00", "13:30-17:30")
    with pytest.raises(ValueError, match="both"):
        OrgCalendar("x", frozenset({date(2026, 6, 1)}), frozenset({date(2026, 6, 1)}), None, "x")
