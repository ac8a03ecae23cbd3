"""The reports of DOMAIN §6 as templates over the read model (pure).

A policy's report names its template (`template`, default `summary`); a template turns the complaints of the
period (and the period before, for trends), the sanctions, KPI evaluations and points of the organisations in
scope into headline `figures` and tabular `sections`, which every format (json, csv, xlsx, html) renders alike.
Items a template offers are switched on by the report's `contents` where the template says so (RPT-08: the SI
report "may include" its ten fields; a tenant may switch fields off, default all on).
"""

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tousu.contracts.types import iso
from tousu.reporting.domain.complaint import ComplaintView
from tousu.reporting.domain.periods import Period
from tousu.reporting.domain.stats import figures, rate

Row = list[Any]


@dataclass(frozen=True)
class OrgInfo:
    id: str
    name: str
    kind: str
    parent: str | None


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
    views: list[ComplaintView]
    """Complaints in scope received in the period."""
    previous: list[ComplaintView] = field(default_factory=list)
    """The same for the period before (trends)."""
    sanctions: list[dict[str, Any]] = field(default_factory=list)
    """`sanction.imposed` data of the period, for organisations in scope, with `state` (active, fulfilled, lifted)."""
    kpis: list[dict[str, Any]] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    orgs: dict[str, OrgInfo] = field(default_factory=dict)
    callback_coverage: dict[str, float] = field(default_factory=dict)
    """Callback rule id → the share of closed complaints it must cover (CB-01: 1.0 and 0.3)."""


def section(id_: str, title: str, columns: list[str], rows: Iterable[Row]) -> dict[str, Any]:
    return {"id": id_, "title": title, "columns": columns, "rows": [list(r) for r in rows]}


def _share(n: int, total: int) -> float | None:
    return rate(n, total)


def _by(views: Iterable[ComplaintView], key: Callable[[ComplaintView], str | None]) -> Counter[str]:
    return Counter(key(v) or "unknown" for v in views)


def _counts(inp: ReportInput, id_: str, title: str, key: Callable[[ComplaintView], str | None]) -> dict[str, Any]:
    now, before = _by(inp.views, key), _by(inp.previous, key)
    total = len(inp.views)
    rows = [[k, n, _share(n, total), before.get(k, 0), n - before.get(k, 0)] for k, n in sorted(now.items())]
    return section(id_, title, [id_.removeprefix("by_"), "count", "share", "previous_period", "change"], rows)


def _listing(id_: str, title: str, views: Iterable[ComplaintView]) -> dict[str, Any]:
    rows = [
        [v.reference, v.received_at, v.kind, v.category, v.respondent_unit, v.owner_unit, v.status, v.breached]
        for v in sorted(views, key=lambda v: (v.received_at or "", v.complaint_id))
    ]
    columns = ["reference", "received_at", "kind", "category", "unit", "owner_unit", "status", "breached"]
    return section(id_, title, columns, rows)


def _stages(views: list[ComplaintView]) -> dict[str, Any]:
    stages = figures(views)["stages"]
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


def statistics(inp: ReportInput) -> list[dict[str, Any]]:
    """Statistics and analysis (RPT-04, RPT-06, RPT-17, RPT-21): counts by category, channel, kind and unit with
    the change on the period before, timeliness per stage, and the hot issues (the categories that grew most)."""
    by_unit = defaultdict(list)
    for v in inp.views:
        by_unit[v.respondent_unit or "unknown"].append(v)
    unit_rows = []
    for unit, items in sorted(by_unit.items()):
        f = figures(items)
        kind = inp.orgs[unit].kind if unit in inp.orgs else None
        unit_rows.append([unit, kind, f["volume"], f["closed"], f["breached"], f["timely_rate"]])
    now, before = _by(inp.views, lambda v: v.category), _by(inp.previous, lambda v: v.category)
    hot = sorted(now.items(), key=lambda kv: (-(kv[1] - before.get(kv[0], 0)), -kv[1], kv[0]))[:3]
    return [
        _counts(inp, "by_category", "Complaints by category", lambda v: v.category),
        _counts(inp, "by_channel", "Complaints by channel", lambda v: v.channel),
        _counts(inp, "by_kind", "Complaints by kind", lambda v: v.kind),
        section(
            "by_unit",
            "Complaints by unit",
            ["unit", "unit_kind", "count", "closed", "breached", "timely_rate"],
            unit_rows,
        ),
        _stages(inp.views),
        section(
            "hot_issues",
            "Hot issues: categories that grew most on the period before",
            ["category", "count", "previous_period", "change"],
            [[k, n, before.get(k, 0), n - before.get(k, 0)] for k, n in hot],
        ),
    ]


def bulletin(inp: ReportInput) -> list[dict[str, Any]]:
    """The association's bulletin (RPT-01): complaints of the period and each member unit's handling."""
    groups: dict[str, list[ComplaintView]] = defaultdict(list)
    for v in inp.views:
        groups[_unit_group(inp, v.respondent_unit)].append(v)
    rows = []
    for member, items in sorted(groups.items()):
        f = figures(items)
        rows.append(
            [
                member,
                inp.orgs[member].name if member in inp.orgs else member,
                f["volume"],
                f["closed"],
                f["open"],
                f["breached"],
                f["timely_rate"],
                f["escalations"],
                f["satisfaction_rate"],
                _sanctions_on(inp, _subtree(inp, member)),
            ]
        )
    columns = ["member", "name", "received", "closed", "open", "breached", "timely_rate", "escalations"]
    return [
        section("members", "Handling by member unit", [*columns, "satisfaction_rate", "sanctions"], rows),
        _counts(inp, "by_category", "Complaints by category", lambda v: v.category),
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
    closed = [v for v in inp.views if v.closed]
    rows = []
    for rule_id, coverage in sorted(inp.callback_coverage.items()):
        sample = coverage < 1
        done = sum(1 for v in closed if (v.sample_callbacks if sample else v.callbacks) > 0)
        required = math.ceil(round(coverage * len(closed), 9))
        rows.append([rule_id, coverage, len(closed), required, done, done >= required])
    f = figures(inp.views)
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
                ["reconsiderations", sum(1 for v in inp.views if v.reconsideration_requested)],
                ["satisfaction_rate", f["satisfaction_rate"]],
            ],
        ),
        section(
            "callbacks",
            "Callbacks against their quotas",
            ["rule", "coverage", "closed", "required", "done", "met"],
            rows,
        ),
        _stages(inp.views),
    ]


def responsibility(inp: ReportInput) -> list[dict[str, Any]]:
    """Responsibility complaints by unit with rectification measures and their effect (RPT-15)."""
    groups: dict[str, list[ComplaintView]] = defaultdict(list)
    for v in inp.views:
        groups[v.respondent_unit or "unknown"].append(v)
    rows = []
    for unit, items in sorted(groups.items()):
        responsible = [v for v in items if v.responsible]
        rows.append(
            [
                unit,
                len(items),
                len(responsible),
                sum(1 for v in items if v.responsible is False),
                sum(1 for v in responsible if v.rectification_measures),
                sum(1 for v in items if v.repeat),
                _sanctions_on(inp, {unit}),
            ]
        )
    columns = ["unit", "complaints", "responsibility", "non_responsibility", "with_rectification", "repeats"]
    listing = [
        [v.reference, v.respondent_unit, v.responsibility_type, v.rectification_measures]
        for v in sorted(inp.views, key=lambda v: (v.received_at or "", v.complaint_id))
        if v.responsible
    ]
    return [
        section("units", "Responsibility complaints by unit", [*columns, "sanctions"], rows),
        section(
            "measures", "Responsibility complaints and measures", ["reference", "unit", "type", "measures"], listing
        ),
    ]


def register(inp: ReportInput) -> list[dict[str, Any]]:
    """The month's complaint register (RPT-14, ARC-02): content (kind and category: the complainant's own words stay
    in intake), process, result, satisfaction and improvements of each complaint."""
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
        for v in sorted(inp.views, key=lambda v: (v.received_at or "", v.complaint_id))
    ]
    columns = ["reference", "received_at", "kind", "category", "channel", "unit", "status", "process", "result"]
    return [
        section("register", "Complaint register", [*columns, "satisfied", "improvements"], rows),
        _counts(inp, "by_category", "Complaints by category", lambda v: v.category),
    ]


PHONE_CHANNELS = frozenset({"phone", "hotline"})


def _si_fields(inp: ReportInput) -> dict[str, Callable[[], dict[str, Any]]]:
    views = inp.views
    phone = [v for v in views if v.channel in PHONE_CHANNELS]
    closed = [v for v in views if v.closed]
    hours = [h for v in closed if (h := v.handling_hours) is not None]
    known = [v.satisfied for v in views if v.satisfied is not None]

    def figure(id_: str, title: str, value: Any) -> Callable[[], dict[str, Any]]:
        return lambda: section(id_, title, ["value"], [[value]])

    return {
        "total phone service requests": figure("phone_requests", "Total phone service requests", len(phone)),
        "total e-mail service requests": figure(
            "email_requests", "Total e-mail service requests", sum(1 for v in views if v.channel == "email")
        ),
        "total new-customer installation and training": figure(
            "installation_training",
            "Total new-customer installation and training (technical-support tickets)",
            sum(1 for v in views if v.kind == "technical_support"),
        ),
        "phone resolution rate": figure(
            "phone_resolution_rate",
            "Phone resolution rate (resolved at the first contact)",
            rate(sum(1 for v in phone if v.closed_at_intake), len(phone)),
        ),
        "first-time completion rate": figure(
            "first_time_completion_rate",
            "First-time completion rate (closed without a second dispatch, rejected result or objection)",
            rate(sum(1 for v in closed if v.first_time_completion), len(closed)),
        ),
        "average resolution time": figure(
            "average_resolution_hours",
            "Average resolution time (hours)",
            round(sum(hours) / len(hours), 2) if hours else None,
        ),
        "list of unresolved problems": lambda: _listing(
            "unresolved", "Unresolved problems", (v for v in views if v.status == "open")
        ),
        "analysis of user problems": lambda: _counts(
            inp, "by_category", "Analysis of user problems by category", lambda v: v.category
        ),
        "customer satisfaction": figure(
            "satisfaction_rate", "Customer satisfaction", rate(sum(1 for s in known if s), len(known))
        ),
        "customer complaint list": lambda: _listing(
            "complaints", "Customer complaint list", (v for v in views if v.kind == "complaint")
        ),
    }


def si_service_analysis(inp: ReportInput) -> list[dict[str, Any]]:
    """《湖南移動SI服務分析報告》 (RPT-08): the ten fields, those of the report's `contents` in its order."""
    fields = _si_fields(inp)
    return [fields[name]() for name in inp.contents if name in fields]


def circular(inp: ReportInput) -> list[dict[str, Any]]:
    """The monitoring centre's circular (RPT-11): quantity, type, handling status, rectification proposals."""
    f = figures(inp.views)
    by_category = _by(inp.views, lambda v: v.category)
    proposals: list[Row] = []
    for category, n in sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0])):
        if n >= 2:
            proposals.append([f"category {category}", n, "concentrated complaints: review the cause and rectify"])
    late = _by((v for v in inp.views if v.breached), lambda v: v.respondent_unit)
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
        _counts(inp, "by_kind", "Quantity by type", lambda v: v.kind),
        _counts(inp, "by_category", "Quantity by category", lambda v: v.category),
        section("handling", "Handling status", ["status", "count"], status),
        section("proposals", "Rectification proposals", ["subject", "count", "proposal"], proposals),
    ]


SELECTIONS: dict[str, Callable[[ComplaintView], bool]] = {
    "second complaints": lambda v: v.second,
    "major complaints": lambda v: v.major,
    "important-owner complaints": lambda v: v.important,
}


def selected(inp: ReportInput) -> list[dict[str, Any]]:
    """《客户投诉统计分析表》 (RPT-18): only the selections its contents name (second, major, important-owner)."""
    out = []
    for name in inp.contents:
        if name in SELECTIONS:
            chosen = [v for v in inp.views if SELECTIONS[name](v)]
            out.append(_listing(name.replace(" ", "_").replace("-", "_"), name.capitalize(), chosen))
    return out


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
    groups: dict[str, list[ComplaintView]] = defaultdict(list)
    for v in inp.views:
        groups[v.respondent_unit or "unknown"].append(v)
    rows = []
    for unit, items in sorted(groups.items()):
        called = [v for v in items if v.callbacks or v.sample_callbacks]
        satisfied = sum(1 for v in called if v.satisfied)
        rows.append([unit, sum(1 for v in items if v.closed), len(called), satisfied, rate(satisfied, len(called))])
    return [section("callbacks", "Callbacks by unit", ["unit", "closed", "called_back", "satisfied", "rate"], rows)]


def summary(inp: ReportInput) -> list[dict[str, Any]]:
    """The default template: counts by category and unit, timeliness, and the complaints still open."""
    return [
        _counts(inp, "by_category", "Complaints by category", lambda v: v.category),
        _counts(inp, "by_unit", "Complaints by unit", lambda v: v.respondent_unit),
        _stages(inp.views),
        _listing("open", "Open complaints", (v for v in inp.views if v.status == "open")),
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
        "figures": figures(inp.views),
        "sections": TEMPLATES[inp.template](inp),
    }
