"""The reports of DOMAIN §6 as templates over the read model (pure).

A policy's report names its template (`template`, default `summary`); a template turns the tallies of the
complaints of the period (and of the period before, for trends), pages of the complaints it lists, the sanctions,
KPI evaluations and points of the organisations in scope into headline `figures` and tabular `sections`, which
every format (json, csv, xlsx, html) renders alike. Items a template offers are switched on by the report's
`contents` where the template says so (RPT-08: the SI report "may include" its ten fields; a tenant may switch
fields off, default all on).

A template never sees a period's complaints: `Cell`s are additive `Tally`s per respondent unit, category, channel
and kind (summed by the database), and a listing is one bounded page (`Listing`). `cells_of` and `listings_of`
are the same over complaint views, the definitions the SQL mirrors (service_layer.queries).
"""

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from tousu.contracts.types import iso
from tousu.reporting.domain.complaint import ComplaintView
from tousu.reporting.domain.periods import Period
from tousu.reporting.domain.stats import rate

Row = list[Any]


@dataclass(frozen=True)
class OrgInfo:
    id: str
    name: str
    kind: str
    parent: str | None


@dataclass(frozen=True)
class Tally:
    """What a set of complaints adds up to; sums of tallies are the tally of the union."""

    volume: int = 0
    open: int = 0
    closed: int = 0
    withdrawn: int = 0
    referred: int = 0
    breached: int = 0
    timely: int = 0
    decided: int = 0
    hours_count: int = 0
    satisfied: int = 0
    known: int = 0
    repeats: int = 0
    escalations: int = 0
    escalated: int = 0
    responsible: int = 0
    determined: int = 0
    at_intake: int = 0
    first_time: int = 0
    called_back: int = 0
    """closed with a callback (CB-01's full coverage)"""
    sampled: int = 0
    """closed with a sample callback (CB-01's 30 %)"""
    called: int = 0
    called_satisfied: int = 0
    reconsiderations: int = 0
    responsible_measures: int = 0
    hours_sum: Decimal = Decimal(0)

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Tally)))


COUNTS = tuple(f.name for f in fields(Tally) if f.name != "hours_sum")


def tally_of(v: ComplaintView) -> Tally:
    """One complaint's tally (the triggers of migration 0005 say the same in SQL)."""
    hours = v.handling_hours
    called = v.callbacks > 0 or v.sample_callbacks > 0
    flags = dict(
        open=v.status == "open",
        closed=v.closed,
        withdrawn=v.status == "withdrawn",
        referred=v.status == "referred",
        breached=v.breached,
        timely=v.timely is True,
        decided=v.timely is not None,
        hours_count=hours is not None,
        satisfied=v.satisfied is True,
        known=v.satisfied is not None,
        repeats=v.repeat,
        escalations=len(v.escalations),
        escalated=bool(v.escalations),
        responsible=v.responsible is True,
        determined=v.responsible is not None,
        at_intake=v.closed_at_intake,
        first_time=v.first_time_completion,
        called_back=v.closed and v.callbacks > 0,
        sampled=v.closed and v.sample_callbacks > 0,
        called=called,
        called_satisfied=called and v.satisfied is True,
        reconsiderations=v.reconsideration_requested,
        responsible_measures=v.responsible is True and bool(v.rectification_measures),
    )
    counts = {name: int(value) for name, value in flags.items()}
    return Tally(volume=1, **counts, hours_sum=Decimal(str(hours)) if hours is not None else Decimal(0))


@dataclass(frozen=True)
class Cell:
    """The tally of the complaints against one unit, of one category, channel and kind."""

    unit: str | None
    category: str | None
    channel: str | None
    kind: str | None
    tally: Tally


def cells_of(views: Iterable[ComplaintView]) -> list[Cell]:
    cells: dict[tuple[str | None, ...], Tally] = defaultdict(Tally)
    for v in views:
        key = (v.respondent_unit, v.category, v.channel, v.kind)
        cells[key] = cells[key] + tally_of(v)
    return [Cell(unit, category, channel, kind, tally) for (unit, category, channel, kind), tally in cells.items()]


@dataclass(frozen=True)
class Listing:
    """One page of the complaints a section lists, in (received_at, complaint_id) order: `total` of them in all,
    `next` the cursor of the page after (None on the last)."""

    rows: list[ComplaintView]
    total: int
    next: str | None = None


LISTINGS: dict[str, Callable[[ComplaintView], bool]] = {
    "register": lambda v: True,
    "open": lambda v: v.status == "open",
    "complaints": lambda v: v.kind == "complaint",
    "responsible": lambda v: v.responsible is True,
    "second": lambda v: v.second,
    "major": lambda v: v.major,
    "important": lambda v: v.important,
}
"""The complaints a listing holds, by name (service_layer.queries.LISTING_SQL says the same in SQL)."""


def listings_of(views: Iterable[ComplaintView]) -> dict[str, Listing]:
    ordered = sorted(views, key=lambda v: (v.received_at or "", v.complaint_id))
    out = {}
    for name, chosen in LISTINGS.items():
        rows = [v for v in ordered if chosen(v)]
        out[name] = Listing(rows, len(rows))
    return out


@dataclass
class ReportInput:
    kind: str
    name: str
    regime: str
    template: str
    period: Period
    org: str | None
    due_at: datetime | None
    recipients: list[str]
    rule: list[str]
    contents: list[str]
    cells: list[Cell]
    """Complaints in scope received in the period."""
    figures: dict[str, Any]
    """Their headline figures (domain.stats; GET /v1/stats gives the same)."""
    previous: list[Cell] = field(default_factory=list)
    """The same for the period before (trends)."""
    listings: dict[str, Listing] = field(default_factory=dict)
    """The pages of the listings the template asks for (`listings`)."""
    sanctions: list[dict[str, Any]] = field(default_factory=list)
    """`sanction.imposed` data of the period, for organisations in scope, with `state` (active, fulfilled, lifted)."""
    kpis: list[dict[str, Any]] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    orgs: dict[str, OrgInfo] = field(default_factory=dict)
    callback_coverage: dict[str, float] = field(default_factory=dict)
    """Callback rule id → the share of closed complaints it must cover (CB-01: 1.0 and 0.3)."""


def section(id_: str, title: str, columns: list[str], rows: Iterable[Row]) -> dict[str, Any]:
    return {"id": id_, "title": title, "columns": columns, "rows": [list(r) for r in rows]}


Key = Callable[[Cell], str | None]


def _total(cells: Iterable[Cell]) -> Tally:
    return sum((c.tally for c in cells), Tally())


def _group(cells: Iterable[Cell], key: Key) -> dict[str, Tally]:
    groups: dict[str, Tally] = defaultdict(Tally)
    for c in cells:
        k = key(c) or "unknown"
        groups[k] = groups[k] + c.tally
    return dict(sorted(groups.items()))


def _volumes(cells: Iterable[Cell], key: Key) -> Counter[str]:
    return Counter({k: t.volume for k, t in _group(cells, key).items()})


def _counts(inp: ReportInput, id_: str, title: str, key: Key) -> dict[str, Any]:
    now, before = _volumes(inp.cells, key), _volumes(inp.previous, key)
    total = _total(inp.cells).volume
    rows = [[k, n, rate(n, total), before.get(k, 0), n - before.get(k, 0)] for k, n in sorted(now.items())]
    return section(id_, title, [id_.removeprefix("by_"), "count", "share", "previous_period", "change"], rows)


def _listing(id_: str, title: str, listing: Listing) -> dict[str, Any]:
    rows = [
        [v.reference, v.received_at, v.kind, v.category, v.respondent_unit, v.owner_unit, v.status, v.breached]
        for v in listing.rows
    ]
    columns = ["reference", "received_at", "kind", "category", "unit", "owner_unit", "status", "breached"]
    return _paged(section(id_, title, columns, rows), listing)


def _paged(sec: dict[str, Any], listing: Listing) -> dict[str, Any]:
    return {**sec, "total": listing.total, "next": listing.next}


def _stages(inp: ReportInput) -> dict[str, Any]:
    stages = inp.figures["stages"]
    rows = [[s, c["met"], c["breached"], c["running"], c["stopped"], c["timely_rate"]] for s, c in stages.items()]
    return section("stages", "Timeliness per stage", ["stage", "met", "breached", "running", "stopped", "rate"], rows)


def _unit_group(inp: ReportInput, unit: str | None) -> str:
    """The org's direct child that holds `unit` (a member unit of an association), else the unit itself."""
    if unit is None:
        return "unknown"
    chain: list[str] = []
    current: str | None = unit
    while current is not None and current not in chain:
        chain.append(current)
        current = inp.orgs[current].parent if current in inp.orgs else None
    if inp.org is not None and inp.org in chain:
        i = chain.index(inp.org)
        return chain[i - 1] if i > 0 else inp.org
    return chain[-1]


def _sanctions_on(inp: ReportInput, units: set[str]) -> int:
    return sum(1 for s in inp.sanctions if s.get("target_org") in units)


def _subtree(inp: ReportInput, root: str) -> set[str]:
    return {o for o in inp.orgs if _within(inp, o, root)} | {root}


def _within(inp: ReportInput, unit: str, root: str) -> bool:
    seen: set[str] = set()
    current: str | None = unit
    while current is not None and current not in seen:
        if current == root:
            return True
        seen.add(current)
        current = inp.orgs[current].parent if current in inp.orgs else None
    return False


# -- templates ---------------------------------------------------------------------------------------------------


def _unit(c: Cell) -> str | None:
    return c.unit


def _category(c: Cell) -> str | None:
    return c.category


def statistics(inp: ReportInput) -> list[dict[str, Any]]:
    """Statistics and analysis (RPT-04, RPT-06, RPT-17, RPT-21): counts by category, channel, kind and unit with
    the change on the period before, timeliness per stage, and the hot issues (the categories that grew most)."""
    unit_rows = []
    for unit, t in _group(inp.cells, _unit).items():
        kind = inp.orgs[unit].kind if unit in inp.orgs else None
        unit_rows.append([unit, kind, t.volume, t.closed, t.breached, rate(t.timely, t.decided)])
    now, before = _volumes(inp.cells, _category), _volumes(inp.previous, _category)
    hot = sorted(now.items(), key=lambda kv: (-(kv[1] - before.get(kv[0], 0)), -kv[1], kv[0]))[:3]
    return [
        _counts(inp, "by_category", "Complaints by category", _category),
        _counts(inp, "by_channel", "Complaints by channel", lambda c: c.channel),
        _counts(inp, "by_kind", "Complaints by kind", lambda c: c.kind),
        section(
            "by_unit",
            "Complaints by unit",
            ["unit", "unit_kind", "count", "closed", "breached", "timely_rate"],
            unit_rows,
        ),
        _stages(inp),
        section(
            "hot_issues",
            "Hot issues: categories that grew most on the period before",
            ["category", "count", "previous_period", "change"],
            [[k, n, before.get(k, 0), n - before.get(k, 0)] for k, n in hot],
        ),
    ]


def bulletin(inp: ReportInput) -> list[dict[str, Any]]:
    """The association's bulletin (RPT-01): complaints of the period and each member unit's handling."""
    rows = []
    for member, t in _group(inp.cells, lambda c: _unit_group(inp, c.unit)).items():
        rows.append(
            [
                member,
                inp.orgs[member].name if member in inp.orgs else member,
                t.volume,
                t.closed,
                t.open,
                t.breached,
                rate(t.timely, t.decided),
                t.escalations,
                rate(t.satisfied, t.known),
                _sanctions_on(inp, _subtree(inp, member)),
            ]
        )
    columns = ["member", "name", "received", "closed", "open", "breached", "timely_rate", "escalations"]
    return [
        section("members", "Handling by member unit", [*columns, "satisfaction_rate", "sanctions"], rows),
        _counts(inp, "by_category", "Complaints by category", _category),
        _sanctions_section(inp),
    ]


def _sanctions_section(inp: ReportInput) -> dict[str, Any]:
    rows = [
        [s.get("sanction_id"), s.get("kind"), s.get("target_org"), s.get("rule"), s.get("occurred_at"), s.get("state")]
        for s in sorted(inp.sanctions, key=lambda s: (str(s.get("occurred_at")), str(s.get("sanction_id"))))
    ]
    return section("sanctions", "Sanctions", ["sanction_id", "kind", "target_org", "rule", "imposed_at", "state"], rows)


def mechanism(inp: ReportInput) -> list[dict[str, Any]]:
    """The credit union's year-end report on the mechanism (RPT-16): volume, closure, timeliness, callbacks against
    their quotas (CB-01, CONV-09), responsibility complaints and reconsiderations."""
    total = _total(inp.cells)
    rows = []
    for rule_id, coverage in sorted(inp.callback_coverage.items()):
        done = total.sampled if coverage < 1 else total.called_back
        required = math.ceil(round(coverage * total.closed, 9))
        rows.append([rule_id, coverage, total.closed, required, done, done >= required])
    f = inp.figures
    return [
        section(
            "mechanism",
            "Operation of the complaint mechanism",
            ["figure", "value"],
            [
                ["received", f["volume"]],
                ["closed", f["closed"]],
                ["timely_rate", f["timely_rate"]],
                ["average_handling_hours", f["handling_hours"]["average"]],
                ["responsibility_complaints", f["responsible"]],
                ["reconsiderations", total.reconsiderations],
                ["satisfaction_rate", f["satisfaction_rate"]],
            ],
        ),
        section(
            "callbacks",
            "Callbacks against their quotas",
            ["rule", "coverage", "closed", "required", "done", "met"],
            rows,
        ),
        _stages(inp),
    ]


def responsibility(inp: ReportInput) -> list[dict[str, Any]]:
    """Responsibility complaints by unit with rectification measures and their effect (RPT-15)."""
    rows = [
        [
            unit,
            t.volume,
            t.responsible,
            t.determined - t.responsible,
            t.responsible_measures,
            t.repeats,
            _sanctions_on(inp, {unit}),
        ]
        for unit, t in _group(inp.cells, _unit).items()
    ]
    columns = ["unit", "complaints", "responsibility", "non_responsibility", "with_rectification", "repeats"]
    listing = inp.listings["responsible"]
    measures = [[v.reference, v.respondent_unit, v.responsibility_type, v.rectification_measures] for v in listing.rows]
    return [
        section("units", "Responsibility complaints by unit", [*columns, "sanctions"], rows),
        _paged(
            section(
                "measures",
                "Responsibility complaints and measures",
                ["reference", "unit", "type", "measures"],
                measures,
            ),
            listing,
        ),
    ]


def register(inp: ReportInput) -> list[dict[str, Any]]:
    """The month's complaint register (RPT-14, ARC-02): content (kind and category: the complainant's own words stay
    in intake), process, result, satisfaction and improvements of each complaint."""
    listing = inp.listings["register"]
    rows = [
        [
            v.reference,
            v.received_at,
            v.kind,
            v.category,
            v.channel,
            v.respondent_unit,
            v.status,
            " → ".join(v.path),
            v.solution,
            v.satisfied,
            v.rectification_measures,
        ]
        for v in listing.rows
    ]
    columns = ["reference", "received_at", "kind", "category", "channel", "unit", "status", "process", "result"]
    return [
        _paged(section("register", "Complaint register", [*columns, "satisfied", "improvements"], rows), listing),
        _counts(inp, "by_category", "Complaints by category", _category),
    ]


PHONE_CHANNELS = frozenset({"phone", "hotline"})
SI_LISTINGS = {"list of unresolved problems": "open", "customer complaint list": "complaints"}


def _si_fields(inp: ReportInput) -> dict[str, Callable[[], dict[str, Any]]]:
    total = _total(inp.cells)
    phone = _total(c for c in inp.cells if c.channel in PHONE_CHANNELS)

    def figure(id_: str, title: str, value: Any) -> Callable[[], dict[str, Any]]:
        return lambda: section(id_, title, ["value"], [[value]])

    return {
        "total phone service requests": figure("phone_requests", "Total phone service requests", phone.volume),
        "total e-mail service requests": figure(
            "email_requests",
            "Total e-mail service requests",
            _total(c for c in inp.cells if c.channel == "email").volume,
        ),
        "total new-customer installation and training": figure(
            "installation_training",
            "Total new-customer installation and training (technical-support tickets)",
            _total(c for c in inp.cells if c.kind == "technical_support").volume,
        ),
        "phone resolution rate": figure(
            "phone_resolution_rate",
            "Phone resolution rate (resolved at the first contact)",
            rate(phone.at_intake, phone.volume),
        ),
        "first-time completion rate": figure(
            "first_time_completion_rate",
            "First-time completion rate (closed without a second dispatch, rejected result or objection)",
            rate(total.first_time, total.closed),
        ),
        "average resolution time": figure(
            "average_resolution_hours", "Average resolution time (hours)", inp.figures["handling_hours"]["average"]
        ),
        "list of unresolved problems": lambda: _listing("unresolved", "Unresolved problems", inp.listings["open"]),
        "analysis of user problems": lambda: _counts(
            inp, "by_category", "Analysis of user problems by category", _category
        ),
        "customer satisfaction": figure(
            "satisfaction_rate", "Customer satisfaction", rate(total.satisfied, total.known)
        ),
        "customer complaint list": lambda: _listing(
            "complaints", "Customer complaint list", inp.listings["complaints"]
        ),
    }


def si_service_analysis(inp: ReportInput) -> list[dict[str, Any]]:
    """《湖南移動SI服務分析報告》 (RPT-08): the ten fields, those of the report's `contents` in its order."""
    fields_ = _si_fields(inp)
    return [fields_[name]() for name in inp.contents if name in fields_]


def circular(inp: ReportInput) -> list[dict[str, Any]]:
    """The monitoring centre's circular (RPT-11): quantity, type, handling status, rectification proposals."""
    f = inp.figures
    proposals: list[Row] = []
    for category, n in sorted(_volumes(inp.cells, _category).items(), key=lambda kv: (-kv[1], kv[0])):
        if n >= 2:
            proposals.append([f"category {category}", n, "concentrated complaints: review the cause and rectify"])
    late = {unit: t.breached for unit, t in _group(inp.cells, _unit).items() if t.breached}
    for unit, n in sorted(late.items(), key=lambda kv: (-kv[1], kv[0])):
        proposals.append([f"unit {unit}", n, "handled after the time limit: rectify the handling and report"])
    status = [
        ["received", f["volume"]],
        ["open", f["open"]],
        ["closed", f["closed"]],
        ["withdrawn", f["withdrawn"]],
        ["breached", f["breached"]],
        ["escalated", f["escalated_complaints"]],
        ["timely_rate", f["timely_rate"]],
        ["satisfaction_rate", f["satisfaction_rate"]],
    ]
    return [
        _counts(inp, "by_kind", "Quantity by type", lambda c: c.kind),
        _counts(inp, "by_category", "Quantity by category", _category),
        section("handling", "Handling status", ["status", "count"], status),
        section("proposals", "Rectification proposals", ["subject", "count", "proposal"], proposals),
    ]


SELECTIONS = {"second complaints": "second", "major complaints": "major", "important-owner complaints": "important"}
"""RPT-18's selections (a report's `contents`) → the listing holding them."""


def selected(inp: ReportInput) -> list[dict[str, Any]]:
    """《客户投诉统计分析表》 (RPT-18): only the selections its contents name (second, major, important-owner)."""
    return [
        _listing(name.replace(" ", "_").replace("-", "_"), name.capitalize(), inp.listings[SELECTIONS[name]])
        for name in inp.contents
        if name in SELECTIONS
    ]


def kpi(inp: ReportInput) -> list[dict[str, Any]]:
    """KPI evaluations of the period with their threshold flags, and the sanctions they led to (RPT-09, RPT-13)."""
    rows = [
        [
            k.get("org"),
            k.get("metric"),
            k.get("period"),
            k.get("value"),
            k.get("threshold"),
            k.get("compliant"),
            k.get("consecutive_periods"),
        ]
        for k in sorted(inp.kpis, key=lambda k: (str(k.get("org")), str(k.get("metric")), str(k.get("period"))))
    ]
    columns = ["org", "metric", "period", "value", "threshold", "compliant", "consecutive_periods"]
    return [section("kpis", "KPI evaluations", columns, rows), _sanctions_section(inp)]


def points(inp: ReportInput) -> list[dict[str, Any]]:
    """Performance points per person for the period (SAN-60)."""
    total: dict[tuple[str, str], int] = defaultdict(int)
    ineligible: set[tuple[str, str]] = set()
    for p in inp.points:
        key = (str(p.get("person")), str(p.get("org")))
        total[key] += int(p.get("points") or 0)
        if p.get("award_ineligible"):
            ineligible.add(key)
    rows = [[person, org, n, (person, org) in ineligible] for (person, org), n in sorted(total.items())]
    return [section("points", "Points per person", ["person", "org", "points", "award_ineligible"], rows)]


def callbacks(inp: ReportInput) -> list[dict[str, Any]]:
    """Analysis of callbacks (RPT-19, CB-09): by unit, closed complaints, callbacks made and their satisfaction."""
    rows = [
        [unit, t.closed, t.called, t.called_satisfied, rate(t.called_satisfied, t.called)]
        for unit, t in _group(inp.cells, _unit).items()
    ]
    return [section("callbacks", "Callbacks by unit", ["unit", "closed", "called_back", "satisfied", "rate"], rows)]


def summary(inp: ReportInput) -> list[dict[str, Any]]:
    """The default template: counts by category and unit, timeliness, and the complaints still open."""
    return [
        _counts(inp, "by_category", "Complaints by category", _category),
        _counts(inp, "by_unit", "Complaints by unit", _unit),
        _stages(inp),
        _listing("open", "Open complaints", inp.listings["open"]),
    ]


TEMPLATES: dict[str, Callable[[ReportInput], list[dict[str, Any]]]] = {
    "statistics": statistics,
    "bulletin": bulletin,
    "mechanism": mechanism,
    "responsibility": responsibility,
    "register": register,
    "si-service-analysis": si_service_analysis,
    "circular": circular,
    "selected": selected,
    "kpi": kpi,
    "points": points,
    "callbacks": callbacks,
    "summary": summary,
}


def listings(template: str, contents: list[str]) -> list[str]:
    """The listings (LISTINGS) a template shows, given the report's contents."""
    if template == "register":
        return ["register"]
    if template == "responsibility":
        return ["responsible"]
    if template == "summary":
        return ["open"]
    if template == "si-service-analysis":
        return [SI_LISTINGS[c] for c in contents if c in SI_LISTINGS]
    if template == "selected":
        return [SELECTIONS[c] for c in contents if c in SELECTIONS]
    return []


def build(inp: ReportInput) -> dict[str, Any]:
    """The report document: what it is, for whom and when, its headline figures and its sections."""
    return {
        "kind": inp.kind,
        "name": inp.name,
        "regime": inp.regime,
        "template": inp.template,
        "org": inp.org,
        "period": inp.period.name,
        "from": iso(inp.period.start),
        "to": iso(inp.period.end),
        "due_at": iso(inp.due_at),
        "recipients": inp.recipients,
        "rule": inp.rule,
        "figures": inp.figures,
        "sections": TEMPLATES[inp.template](inp),
    }
