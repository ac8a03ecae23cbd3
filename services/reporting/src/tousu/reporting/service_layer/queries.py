"""Reads over the read models, always within what the caller may see (CONTRACT §3: a unit sees complaints that
concern it or its descendants; `admin` sees everything)."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from tousu.contracts.types import SHANGHAI, iso
from tousu.kit.auth import OrgTree, Principal
from tousu.kit.errors import FieldError, NotFoundError, PermanentError
from tousu.kit.uow import UnitOfWork
from tousu.reporting.adapters import tables as t
from tousu.reporting.domain import reports, stats
from tousu.reporting.domain.complaint import ComplaintView
from tousu.reporting.domain.periods import Period, PeriodError, due_at, granularity, parse_period, previous
from tousu.reporting.domain.reports import COUNTS, Cell, Listing, OrgInfo, ReportInput, Tally
from tousu.reporting.service_layer.catalogue import Catalogue


@dataclass(frozen=True)
class Scope:
    """The units a read covers: None for everything (admin without `org`)."""

    units: set[str] | None
    org: str | None
    orgs: dict[str, OrgInfo]
    regimes: dict[str, list[str]]


async def scope(uow: UnitOfWork, caller: Principal, org: str | None) -> Scope:
    rows = (await uow.session.execute(sa.select(t.orgs))).all()
    infos = {r.id: OrgInfo(r.id, r.name or r.id, r.kind or "", r.parent) for r in rows}
    regimes = {r.id: list(r.regimes or []) for r in rows}
    tree = OrgTree({r.id: r.parent for r in rows})
    root = org if org is not None else (None if caller.is_admin else caller.org)
    if root is None:
        return Scope(None, None, infos, regimes)
    if root not in infos:
        raise NotFoundError(f"no organisation {root}")
    if not caller.is_admin and not tree.is_within(root, caller.org):
        raise NotFoundError(f"no organisation {root} visible to the caller")
    units = {u for u in infos if tree.is_within(u, root)} | {root}
    return Scope(units, root, infos, regimes)


LISTING_PAGE = 1000
"""Rows of a report's listing section per response; `after` (its `next`) gives the page after."""
LISTING_SQL: dict[str, sa.ColumnElement[bool]] = {
    "register": sa.true(),
    "open": t.complaints.c.status == "open",
    "complaints": t.complaints.c.kind == "complaint",
    "responsible": t.complaints.c.responsible.is_(True),
    "second": t.complaints.c.second,
    "major": t.complaints.c.major,
    "important": t.complaints.c.important,
}
"""domain.reports.LISTINGS in SQL over the complaints' columns."""


def _complaints_in(sc: Scope, start: datetime | None, end: datetime | None, regime: str | None) -> list[Any]:
    c = t.complaints
    where: list[sa.ColumnElement[bool]] = [c.c.received_at.is_not(None)]
    if start is not None:
        where.append(c.c.received_at >= start)
    if end is not None:
        where.append(c.c.received_at < end)
    if sc.units is not None:
        where.append(c.c.units.overlap(sorted(sc.units)))
    elif regime is not None:
        where.append(c.c.regime == regime)
    return where


def cursor(v: ComplaintView) -> str:
    return f"{v.received_at}|{v.complaint_id}"


def _after(value: str | None) -> list[sa.ColumnElement[bool]]:
    if value is None:
        return []
    at, sep, complaint_id = value.partition("|")
    try:
        instant = datetime.fromisoformat(at)
    except ValueError:
        instant = None
    if not sep or instant is None or instant.tzinfo is None:
        raise PermanentError("bad cursor", [FieldError("after", "a listing section's `next`", "CONTRACT §8")])
    c = t.complaints
    return [sa.tuple_(c.c.received_at, c.c.complaint_id) > sa.tuple_(sa.literal(instant), sa.literal(complaint_id))]


async def listing(uow: UnitOfWork, name: str, where: list[Any], after: str | None) -> Listing:
    """One page of a listing in (received_at, complaint_id) order, never more than LISTING_PAGE views in memory."""
    c = t.complaints
    chosen = [*where, LISTING_SQL[name]]
    total = (await uow.session.execute(sa.select(sa.func.count()).where(*chosen))).scalar_one()
    page = (
        sa.select(c.c.view)
        .where(*chosen, *_after(after))
        .order_by(c.c.received_at, c.c.complaint_id)
        .limit(LISTING_PAGE + 1)
    )
    rows = [ComplaintView.from_json(v) for v in (await uow.session.execute(page)).scalars()]
    more = len(rows) > LISTING_PAGE
    rows = rows[:LISTING_PAGE]
    return Listing(rows, total, cursor(rows[-1]) if more else None)


def parse_bound(name: str, value: str | None, *, end: bool) -> datetime | None:
    """An ISO instant, or a date (`to` a date includes that whole day)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value + "T00:00:00+08:00")
            return day + timedelta(days=1) if end else day
        instant = datetime.fromisoformat(value)
    except ValueError as exc:
        raise PermanentError("bad period", [FieldError(name, "an ISO-8601 date or instant", "CONTRACT §8")]) from exc
    if instant.tzinfo is None:
        raise PermanentError("bad period", [FieldError(name, "an instant needs its offset, e.g. +08:00", "CONV-01")])
    return instant


def period(name: str, value: str) -> Period:
    try:
        return parse_period(value)
    except PeriodError as exc:
        raise PermanentError("bad period", [FieldError(name, str(exc), "RPT-04")]) from exc


STATES = ("met", "breached", "running", "stopped")
"""How a clock counts in the per-stage timeliness (open clocks count as running)."""
GROUP_COLUMNS = {"unit": "respondent_unit", "category": "category", "channel": "channel", "regime": "regime"}
"""`group_by` of CONTRACT §8 → the column (a complaint's unit is the unit complained against)."""


def _figures_sql(c: sa.Table) -> list[sa.ColumnElement[Any]]:
    """The figures of domain.stats as SQL aggregates over the complaints' figure columns (same definitions)."""
    closed = c.c.status == "closed"
    return [
        sa.func.count().label("volume"),
        sa.func.count().filter(c.c.status == "open").label("open"),
        sa.func.count().filter(closed).label("closed"),
        sa.func.count().filter(c.c.status == "withdrawn").label("withdrawn"),
        sa.func.count().filter(c.c.status == "referred").label("referred"),
        sa.func.count().filter(c.c.breached).label("breached"),
        sa.func.count().filter(c.c.timely.is_(True)).label("timely"),
        sa.func.count(c.c.timely).label("timeliness_decided"),
        sa.func.count(c.c.handling_hours).label("hours_count"),
        sa.func.avg(c.c.handling_hours).label("hours_average"),
        sa.func.percentile_disc(0.5).within_group(c.c.handling_hours).label("hours_p50"),
        sa.func.percentile_disc(0.9).within_group(c.c.handling_hours).label("hours_p90"),
        sa.func.count().filter(c.c.satisfied.is_(True)).label("satisfied"),
        sa.func.count(c.c.satisfied).label("satisfaction_known"),
        sa.func.count().filter(c.c.repeat).label("repeats"),
        sa.func.coalesce(sa.func.sum(c.c.escalations), 0).label("escalations"),
        sa.func.count().filter(c.c.escalations > 0).label("escalated_complaints"),
        sa.func.count().filter(c.c.responsible.is_(True)).label("responsible"),
        sa.func.count(c.c.responsible).label("determined"),
    ]


def _figures(row: Any, by_kind: dict[str, int], stages: dict[str, dict[str, int]]) -> dict[str, Any]:
    rate = stats.rate
    average = row.hours_average
    return {
        "volume": row.volume,
        "by_kind": dict(sorted(by_kind.items())),
        "open": row.open,
        "closed": row.closed,
        "withdrawn": row.withdrawn,
        "referred": row.referred,
        "breached": row.breached,
        "timely": row.timely,
        "timeliness_decided": row.timeliness_decided,
        "timely_rate": rate(row.timely, row.timeliness_decided),
        "stages": {
            stage: {**counts, "timely_rate": rate(counts["met"], counts["met"] + counts["breached"])}
            for stage, counts in sorted(stages.items())
        },
        "handling_hours": {
            "count": row.hours_count,
            "average": round(float(average), 2) if average is not None else None,
            "p50": row.hours_p50,
            "p90": row.hours_p90,
        },
        "satisfied": row.satisfied,
        "satisfaction_known": row.satisfaction_known,
        "satisfaction_rate": rate(row.satisfied, row.satisfaction_known),
        "repeats": row.repeats,
        "repeat_rate": rate(row.repeats, row.volume),
        "escalations": int(row.escalations),
        "escalated_complaints": row.escalated_complaints,
        "responsible": row.responsible,
        "determined": row.determined,
        "responsibility_rate": rate(row.responsible, row.determined),
    }


async def statistics(
    uow: UnitOfWork, caller: Principal, *, org: str | None, start: datetime | None, end: datetime | None, by: str | None
) -> dict[str, Any]:
    """CONTRACT §8 statistics as SQL aggregates (the definitions of domain.stats, checked equal by the tests):
    summed from the tallies when the bounds are Shanghai midnights (dates, periods), else from the complaints."""
    if by is not None and by not in GROUP_COLUMNS:
        raise PermanentError(
            "bad grouping", [FieldError("group_by", f"one of {', '.join(GROUP_COLUMNS)}", "CONTRACT §8")]
        )
    sc = await scope(uow, caller, org)
    head = {"org": sc.org, "from": iso(start), "to": iso(end), "group_by": by}
    if _midnight(start) and _midnight(end):
        total, groups = await tallied(uow, sc, start, end, by=by)
        return {**head, **total, **({"groups": groups} if by is not None else {})}
    return {**head, **await _counted(uow, sc, start, end, by)}


async def _counted(
    uow: UnitOfWork, sc: Scope, start: datetime | None, end: datetime | None, by: str | None
) -> dict[str, Any]:
    """The figures counted over the complaints' rows (bounds inside a day)."""
    c = t.complaints
    where: list[sa.ColumnElement[bool]] = [c.c.received_at.is_not(None)]
    if start is not None:
        where.append(c.c.received_at >= start)
    if end is not None:
        where.append(c.c.received_at < end)
    if sc.units is not None:
        where.append(c.c.units.overlap(sorted(sc.units)))
    group = sa.func.coalesce(c.c[GROUP_COLUMNS[by]], "unknown") if by else sa.literal("all")
    by_kind: dict[str, dict[str, int]] = {}
    kinds = (
        sa.select(group.label("key"), sa.func.coalesce(c.c.kind, "unknown").label("kind"), sa.func.count().label("n"))
        .where(*where)
        .group_by(sa.text("1"), sa.text("2"))
    )
    for r in await uow.session.execute(kinds):
        by_kind.setdefault(r.key, {})[r.kind] = r.n
    element = sa.func.jsonb_array_elements(c.c.clock_states).table_valued(sa.column("value", JSONB)).alias("clock")
    clocks = (
        sa.select(
            group.label("key"),
            element.c.value["stage"].astext.label("stage"),
            element.c.value["state"].astext.label("state"),
            sa.func.count().label("n"),
        )
        .select_from(c.join(element, sa.true()))
        .where(*where)
        .group_by(sa.text("1"), sa.text("2"), sa.text("3"))
    )
    stages: dict[str, dict[str, dict[str, int]]] = {}
    for r in await uow.session.execute(clocks):
        counts = stages.setdefault(r.key, {}).setdefault(r.stage, dict.fromkeys(STATES, 0))
        counts[r.state] += r.n
    total = (await uow.session.execute(sa.select(*_figures_sql(c)).where(*where))).one()
    out: dict[str, Any] = _figures(total, _merge(by_kind.values()), _merge_stages(stages.values()))
    if by is not None:
        grouped = sa.select(group.label("key"), *_figures_sql(c)).where(*where).group_by(sa.text("1"))
        out["groups"] = {
            r.key: _figures(r, by_kind.get(r.key, {}), stages.get(r.key, {}))
            for r in sorted(await uow.session.execute(grouped), key=lambda r: str(r.key))
        }
    return out


def _midnight(instant: datetime | None) -> bool:
    return instant is None or instant.astimezone(SHANGHAI).timetz().replace(tzinfo=None) == time()


def _day(instant: datetime) -> date:
    return instant.astimezone(SHANGHAI).date()


def _tally_where(
    table: sa.Table, sc: Scope, start: datetime | None, end: datetime | None, regime: str | None
) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if start is not None:
        where.append(table.c.day >= _day(start))
    if end is not None:
        where.append(table.c.day < _day(end))
    if sc.units is not None:
        where.append(table.c.units.overlap(sorted(sc.units)))
    elif regime is not None:
        where.append(table.c.regime == regime)
    return where


TALLY_GROUPS = {"unit": "unit", "category": "category", "channel": "channel", "regime": "regime"}
"""`group_by` → the tallies' column."""


def _tally_sums(table: sa.Table) -> list[sa.ColumnElement[Any]]:
    return [sa.func.sum(table.c[n]).label(n) for n in (*COUNTS, "hours_sum")]


def _tally(row: Any) -> Tally:
    return Tally(**{n: int(row._mapping[n]) for n in COUNTS}, hours_sum=row.hours_sum)


async def cells(uow: UnitOfWork, sc: Scope, start: datetime, end: datetime, regime: str | None = None) -> list[Cell]:
    """The period's tallies per respondent unit, category, channel and kind (domain.reports.cells_of)."""
    ta = t.tallies
    dims = [ta.c.unit, ta.c.category, ta.c.channel, ta.c.kind]
    query = (
        sa.select(*dims, *_tally_sums(ta))
        .where(*_tally_where(ta, sc, start, end, regime))
        .group_by(*dims)
        .having(sa.func.sum(ta.c.volume) > 0)
    )
    return [Cell(r.unit, r.category, r.channel, r.kind, _tally(r)) for r in await uow.session.execute(query)]


async def tallied(
    uow: UnitOfWork,
    sc: Scope,
    start: datetime | None,
    end: datetime | None,
    *,
    by: str | None = None,
    regime: str | None = None,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The figures of complaints received in whole days, overall and per `by` group, summed from the tallies; a
    percentile is found in the tallies' hour buckets, then read among that bucket's complaints only."""
    ta, st = t.tallies, t.stage_tallies
    key_of = (lambda table: sa.func.coalesce(table.c[TALLY_GROUPS[by]], "unknown")) if by else None
    group = key_of(ta) if key_of else sa.literal("all")
    where = _tally_where(ta, sc, start, end, regime)
    tallies: dict[str, Tally] = {}
    by_kind: dict[str, dict[str, int]] = {}
    kind = sa.func.coalesce(ta.c.kind, "unknown")
    query = (
        sa.select(group.label("key"), kind.label("k"), *_tally_sums(ta))
        .where(*where)
        .group_by(sa.text("1"), sa.text("2"))
        .having(sa.func.sum(ta.c.volume) > 0)
    )
    for r in await uow.session.execute(query):
        tallies[r.key] = tallies.get(r.key, Tally()) + _tally(r)
        by_kind.setdefault(r.key, {})[r.k] = int(r.volume)
    hours: dict[str, list[tuple[int, int]]] = {}
    buckets = (
        sa.select(group.label("key"), ta.c.hours, sa.func.sum(ta.c.hours_count).label("n"))
        .where(*where, ta.c.hours.is_not(None))
        .group_by(sa.text("1"), ta.c.hours)
        .having(sa.func.sum(ta.c.hours_count) > 0)
        .order_by(sa.text("1"), ta.c.hours)
    )
    for r in await uow.session.execute(buckets):
        hours.setdefault(r.key, []).append((r.hours, int(r.n)))
    stage_group = key_of(st) if key_of else sa.literal("all")
    clocks = (
        sa.select(stage_group.label("key"), st.c.stage, st.c.state, sa.func.sum(st.c.n).label("n"))
        .where(*_tally_where(st, sc, start, end, regime))
        .group_by(sa.text("1"), st.c.stage, st.c.state)
        .having(sa.func.sum(st.c.n) > 0)
    )
    stages: dict[str, dict[str, dict[str, int]]] = {}
    for r in await uow.session.execute(clocks):
        counts = stages.setdefault(r.key, {}).setdefault(r.stage, dict.fromkeys(STATES, 0))
        counts[r.state] += int(r.n)
    raw = _complaints_in(sc, start, end, regime)

    async def figures_of(
        tally: Tally, kinds: dict[str, int], staged: dict[str, dict[str, int]], key: str | None
    ) -> dict[str, Any]:
        column = sa.func.coalesce(t.complaints.c[GROUP_COLUMNS[by]], "unknown") if by and key is not None else None
        within = [*raw, column == key] if column is not None else raw
        histogram = _merge_buckets(hours.values()) if key is None else hours.get(key, [])
        p50 = await _percentile(uow, within, histogram, 0.5)
        p90 = await _percentile(uow, within, histogram, 0.9)
        return _tally_figures(tally, kinds, staged, p50, p90)

    total = await figures_of(
        sum(tallies.values(), Tally()), _merge(by_kind.values()), _merge_stages(stages.values()), None
    )
    groups = {}
    if by is not None:
        for key in sorted(tallies, key=str):
            groups[key] = await figures_of(tallies[key], by_kind.get(key, {}), stages.get(key, {}), key)
    return total, groups


def _merge_buckets(parts: Iterable[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    merged: dict[int, int] = {}
    for part in parts:
        for bucket, n in part:
            merged[bucket] = merged.get(bucket, 0) + n
    return sorted(merged.items())


async def _percentile(uow: UnitOfWork, where: list[Any], histogram: list[tuple[int, int]], p: float) -> float | None:
    """Nearest rank (percentile_disc): the k-th smallest handling time, k = ceil(p·n), read in its hour's bucket."""
    n = sum(count for _, count in histogram)
    if not n:
        return None
    k = max(1, math.ceil(p * n))
    below = 0
    for bucket, count in histogram:
        if below + count >= k:
            c = t.complaints
            query = (
                sa.select(c.c.handling_hours)
                .where(*where, c.c.handling_hours >= bucket, c.c.handling_hours < bucket + 1)
                .order_by(c.c.handling_hours)
                .offset(k - below - 1)
                .limit(1)
            )
            value: float = (await uow.session.execute(query)).scalar_one()
            return value
        below += count
    raise AssertionError("a histogram holds its own count")


def _tally_figures(
    tally: Tally, by_kind: dict[str, int], stages: dict[str, dict[str, int]], p50: float | None, p90: float | None
) -> dict[str, Any]:
    """`_figures` from the tallies: the same figures, under the names the per-row SQL gives them."""
    row = SimpleNamespace(
        volume=tally.volume,
        open=tally.open,
        closed=tally.closed,
        withdrawn=tally.withdrawn,
        referred=tally.referred,
        breached=tally.breached,
        timely=tally.timely,
        timeliness_decided=tally.decided,
        hours_count=tally.hours_count,
        hours_average=tally.hours_sum / tally.hours_count if tally.hours_count else None,
        hours_p50=p50,
        hours_p90=p90,
        satisfied=tally.satisfied,
        satisfaction_known=tally.known,
        repeats=tally.repeats,
        escalations=tally.escalations,
        escalated_complaints=tally.escalated,
        responsible=tally.responsible,
        determined=tally.determined,
    )
    return _figures(row, by_kind, stages)


def _merge(parts: Iterable[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in parts:
        for k, n in part.items():
            out[k] = out.get(k, 0) + n
    return out


def _merge_stages(parts: Iterable[dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for part in parts:
        for stage, counts in part.items():
            merged = out.setdefault(stage, {})
            for k, n in counts.items():
                merged[k] = merged.get(k, 0) + n
    return out


async def _facts(uow: UnitOfWork, type_: str, p: Period) -> list[dict[str, Any]]:
    e = t.events
    rows = await uow.session.execute(
        sa.select(e.c.envelope["data"])
        .where(e.c.type == type_, e.c.occurred_at >= p.start, e.c.occurred_at < p.end)
        .order_by(e.c.occurred_at, e.c.event_id)
    )
    return [dict(d) for d in rows.scalars()]


def _in_scope(sc: Scope, org: Any, regime: str) -> bool:
    if sc.units is not None:
        return org in sc.units
    return regime in sc.regimes.get(str(org), [])


async def report(
    uow: UnitOfWork,
    catalogue: Catalogue,
    caller: Principal,
    kind: str,
    period_name: str,
    org: str | None,
    after: str | None = None,
) -> dict[str, Any]:
    """A report from the period's tallies and one page (after `after`) of each listing it shows."""
    sc = await scope(uow, caller, org)
    owed = catalogue.find(kind, sc.regimes.get(sc.org or "", []))
    spec = owed.report
    p = period("period", period_name)
    before = previous(granularity(p), p)
    sanctions = (
        await uow.session.execute(
            sa.select(t.sanctions).where(t.sanctions.c.imposed_at >= p.start, t.sanctions.c.imposed_at < p.end)
        )
    ).all()
    inp = ReportInput(
        kind=spec.kind,
        name=spec.name,
        regime=owed.regime,
        template=spec.template,
        period=p,
        org=sc.org,
        due_at=due_at(spec.due, p) if spec.period != "event" else None,
        recipients=list(spec.to),
        rule=list(spec.rule),
        contents=list(spec.contents),
        cells=await cells(uow, sc, p.start, p.end, owed.regime),
        figures=(await tallied(uow, sc, p.start, p.end, regime=owed.regime))[0],
        previous=await cells(uow, sc, before.start, before.end, owed.regime),
        listings={
            name: await listing(uow, name, _complaints_in(sc, p.start, p.end, owed.regime), after)
            for name in reports.listings(spec.template, list(spec.contents))
        },
        sanctions=[
            {**s.data, "state": s.state, "occurred_at": s.imposed_at.isoformat() if s.imposed_at else None}
            for s in sanctions
            if _in_scope(sc, s.target_org, owed.regime)
        ],
        kpis=[k for k in await _facts(uow, "kpi.evaluated", p) if _in_scope(sc, k.get("org"), owed.regime)],
        points=[k for k in await _facts(uow, "points.recorded", p) if _in_scope(sc, k.get("org"), owed.regime)],
        orgs=sc.orgs,
        callback_coverage=catalogue.callback_coverage(owed.regime),
    )
    return reports.build(inp)


async def instances(uow: UnitOfWork, caller: Principal) -> list[dict[str, Any]]:
    """The report calendar's instances the caller may see."""
    sc = await scope(uow, caller, None)
    ri = t.report_instances
    query = sa.select(ri).order_by(ri.c.due_at.nulls_last(), ri.c.kind, ri.c.org, ri.c.period)
    if sc.units is not None:
        query = query.where(ri.c.org.in_(sorted(sc.units)))
    rows = (await uow.session.execute(query)).all()
    return [
        {
            "kind": r.kind,
            "regime": r.regime,
            "org": r.org,
            "period": r.period,
            "due_at": iso(r.due_at),
            "announced_at": iso(r.announced_at),
            "submitted_at": iso(r.submitted_at),
            "submitted_to": r.submitted_to,
            "overdue": r.overdue_at is not None,
        }
        for r in rows
    ]


DASHBOARD_DAYS = 30
DASHBOARD_OPEN_LIMIT = 300


async def dashboard(uow: UnitOfWork, caller: Principal, now: datetime) -> dict[str, Any]:
    """The operator's view: open complaints by urgency with their clocks, breaches, escalations, sanctions and the
    last 30 days by unit, category and day, all within the caller's part of the hierarchy. Counts are SQL
    aggregates; only the most urgent open complaints (breached first, then the oldest) are read whole."""
    sc = await scope(uow, caller, None)
    c = t.complaints
    mine: list[sa.ColumnElement[bool]] = [] if sc.units is None else [c.c.units.overlap(sorted(sc.units))]
    is_open = c.c.status == "open"
    totals = (
        await uow.session.execute(
            sa.select(sa.func.count(), sa.func.count().filter(c.c.breached)).where(is_open, *mine)
        )
    ).one()
    urgent = (
        sa.select(c.c.view)
        .where(is_open, *mine)
        .order_by(c.c.breached.desc(), c.c.received_at, c.c.complaint_id)
        .limit(DASHBOARD_OPEN_LIMIT)
    )
    rows = [_open_row(ComplaintView.from_json(v), now) for v in (await uow.session.execute(urgent)).scalars()]
    rows.sort(key=lambda r: (not r["breached"], r["next_due_at"] or "9999", r["reference"] or ""))
    since = now - timedelta(days=DASHBOARD_DAYS)
    recent = [c.c.received_at >= since, c.c.received_at < now, *mine]
    escalated = sa.select(c.c.view).where(*recent, c.c.escalations > 0).order_by(c.c.received_at.desc()).limit(20)
    escalations = sorted(
        (
            {**e, "reference": v.reference, "complaint_id": v.complaint_id}
            for v in (ComplaintView.from_json(raw) for raw in (await uow.session.execute(escalated)).scalars())
            for e in v.escalations
        ),
        key=lambda e: str(e["at"]),
        reverse=True,
    )[:20]
    s = t.sanctions
    sanction_query = sa.select(s).where(s.c.state == "active").order_by(s.c.imposed_at.desc()).limit(50)
    if sc.units is not None:
        sanction_query = sanction_query.where(s.c.target_org.in_(sorted(sc.units)))
    sanctions = [
        {
            "sanction_id": r.sanction_id,
            "kind": r.kind,
            "target_org": r.target_org,
            "rule": r.data.get("rule"),
            "imposed_at": iso(r.imposed_at),
        }
        for r in (await uow.session.execute(sanction_query)).all()
    ]
    by_day = {(now - timedelta(days=d)).date().isoformat(): 0 for d in range(DASHBOARD_DAYS, -1, -1)}
    day = sa.func.to_char(sa.func.timezone("Asia/Shanghai", c.c.received_at), "YYYY-MM-DD")
    for key, n in await uow.session.execute(sa.select(day, sa.func.count()).where(*recent).group_by(day)):
        if key in by_day:
            by_day[key] = n
    return {
        "now": iso(now),
        "org": caller.org,
        "open": rows,
        "open_total": totals[0],
        "breached_total": totals[1],
        "escalations": escalations,
        "sanctions": sanctions,
        "by_unit": await _volumes(uow, c.c.respondent_unit, recent),
        "by_category": await _volumes(uow, c.c.category, recent),
        "by_day": by_day,
    }


async def _volumes(uow: UnitOfWork, column: Any, where: list[sa.ColumnElement[bool]]) -> dict[str, int]:
    key = sa.func.coalesce(column, "unknown")
    result = await uow.session.execute(sa.select(key, sa.func.count()).where(*where).group_by(key).order_by(key))
    return {str(k): int(n) for k, n in result}


def _open_row(v: ComplaintView, now: datetime) -> dict[str, Any]:
    clocks = [k for k in v.clocks if k.open or k.state == "breached"]
    dues = [datetime.fromisoformat(k.due_at) for k in clocks if k.due_at and k.open]
    nearest = min(dues) if dues else None
    return {
        "complaint_id": v.complaint_id,
        "reference": v.reference,
        "regime": v.regime,
        "category": v.category,
        "owner_unit": v.owner_unit,
        "received_at": v.received_at,
        "breached": v.breached,
        "escalations": len(v.escalations),
        "next_due_at": iso(nearest),
        "seconds_left": int((nearest - now).total_seconds()) if nearest else None,
        "clocks": [
            {
                "stage": k.stage,
                "owner_unit": k.owner_unit,
                "due_at": k.due_at,
                "state": k.state,
                "seconds_left": int((datetime.fromisoformat(k.due_at) - now).total_seconds()) if k.due_at else None,
            }
            for k in clocks
        ],
    }
