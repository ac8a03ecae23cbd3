"""Report templates, their formats, who owes which report when, and archiving (RPT-*, ARC-*, SAT-*)."""

import csv
import io
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from openpyxl import load_workbook

from tousu.contracts.policy import find_policies_dir, load_policies
from tousu.contracts.types import SHANGHAI
from tousu.reporting.domain.archive import archive_class, missing_items, years_after
from tousu.reporting.domain.complaint import Clock, ComplaintView
from tousu.reporting.domain.periods import parse_period
from tousu.reporting.domain.reports import OrgInfo, ReportInput, build, cells_of, listings_of
from tousu.reporting.domain.stats import figures
from tousu.reporting.entrypoints.formats import to_csv, to_html, to_xlsx
from tousu.reporting.service_layer.calendar import ReportCalendar, owes
from tousu.reporting.service_layer.catalogue import Catalogue

CATALOGUE = Catalogue(load_policies(find_policies_dir()))


def view(n: int, **kw: Any) -> ComplaintView:
    base: dict[str, Any] = {
        "complaint_id": f"c-{n}",
        "reference": f"R{n}",
        "received_at": f"2026-06-{n:02d}T10:00:00+08:00",
        "respondent_unit": "si-a",
        "channel": "phone",
        "kind": "complaint",
        "category": "si_application",
        "status": "open",
    }
    return ComplaintView(**{**base, **kw})


def closed(n: int, hours: int, **kw: Any) -> ComplaintView:
    return view(n, status="closed", closed_at=f"2026-06-{n:02d}T{10 + hours:02d}:00:00+08:00", **kw)


def report_input(regime: str, kind: str, views: list[ComplaintView], **kw: Any) -> ReportInput:
    """The input the service gives a template, made from the views by the domain's reference definitions."""
    owed = CATALOGUE.find(kind, [regime])
    spec = owed.report
    return ReportInput(
        kind=spec.kind,
        name=spec.name,
        regime=regime,
        template=spec.template,
        period=parse_period(kw.pop("period", "2026-06")),
        org="mo-hn",
        due_at=None,
        recipients=list(spec.to),
        rule=list(spec.rule),
        contents=kw.pop("contents", list(spec.contents)),
        cells=cells_of(views),
        figures=figures(views),
        previous=cells_of(kw.pop("previous", [])),
        listings=listings_of(views),
        **kw,
    )


SI_VIEWS = [
    closed(1, 2, closed_at_intake=True, satisfied=True),
    closed(2, 4, channel="email", dispatches=2, satisfied=False),
    closed(3, 6, kind="technical_support", channel="hotline", satisfied=True),
    view(4, channel="web"),
    view(5, kind="consultation", channel="phone"),
]


def values(doc: dict[str, Any]) -> dict[str, Any]:
    return {s["id"]: s["rows"][0][0] for s in doc["sections"] if s["columns"] == ["value"]}


def test_rpt08_sat01_si_service_analysis_has_its_ten_fields() -> None:
    """RPT-08 the ten fields; SAT-01 customer satisfaction among them."""
    doc = build(report_input("mobile-operator-si", "si-service-analysis", SI_VIEWS))
    assert len(doc["sections"]) == 10
    v = values(doc)
    assert v["phone_requests"] == 3  # phone and hotline
    assert v["email_requests"] == 1
    assert v["installation_training"] == 1
    assert v["phone_resolution_rate"] == round(1 / 3, 4)  # resolved at the first contact
    assert v["first_time_completion_rate"] == round(2 / 3, 4)  # one was dispatched twice
    assert v["average_resolution_hours"] == 4.0
    assert v["satisfaction_rate"] == round(2 / 3, 4)
    unresolved = next(s for s in doc["sections"] if s["id"] == "unresolved")
    assert [r[0] for r in unresolved["rows"]] == ["R4", "R5"]
    complaints = next(s for s in doc["sections"] if s["id"] == "complaints")
    assert [r[0] for r in complaints["rows"]] == ["R1", "R2", "R4"]


def test_rpt08_a_tenant_may_switch_si_fields_off() -> None:
    """RPT-08: the seed says "may include"; the report's contents choose the fields and their order."""
    contents = ["customer satisfaction", "total phone service requests"]
    doc = build(report_input("mobile-operator-si", "si-service-analysis", SI_VIEWS, contents=contents))
    assert [s["id"] for s in doc["sections"]] == ["satisfaction_rate", "phone_requests"]


def test_rpt18_property_table_holds_only_second_major_and_important_owner_complaints() -> None:
    """RPT-18: second (二次投诉), major and important-owner complaints only."""
    views = [view(1, repeat=True), view(2, major=True), view(3, important=True), view(4), view(5, dispatches=2)]
    doc = build(report_input("property-management", "monthly-statistics", views))
    rows = {s["id"]: [r[0] for r in s["rows"]] for s in doc["sections"]}
    assert rows == {
        "second_complaints": ["R1", "R5"],
        "major_complaints": ["R2"],
        "important_owner_complaints": ["R3"],
    }


def test_rpt11_tobacco_circular_counts_types_handling_and_proposes_rectification() -> None:
    """RPT-11: quantity, type, handling status and rectification proposals, circulated city-wide."""
    late = Clock(stage="UNIT_HANDLE", cycle=1, breached=True)
    views = [
        view(1, kind="complaint", category="supply_allocation", respondent_unit="tb-c1", clocks=[late]),
        closed(2, 3, kind="consultation", category="supply_allocation", respondent_unit="tb-c2"),
        view(3, kind="report", category="marketing_policy", respondent_unit="tb-c2"),
    ]
    doc = build(report_input("tobacco-bureau", "tobacco-circular", views, period="2026-Q2"))
    sections = {s["id"]: s["rows"] for s in doc["sections"]}
    assert dict((r[0], r[1]) for r in sections["by_kind"]) == {"complaint": 1, "consultation": 1, "report": 1}
    handling = dict((r[0], r[1]) for r in sections["handling"])
    assert (handling["received"], handling["open"], handling["closed"], handling["breached"]) == (3, 2, 1, 1)
    assert [r[0] for r in sections["proposals"]] == ["category supply_allocation", "unit tb-c1"]
    assert doc["recipients"] == ["city-wide"]


def test_rpt01_bulletin_groups_by_member_unit_under_the_association() -> None:
    """RPT-01: complaints of the period and each member unit's handling."""
    orgs = {
        "as": OrgInfo("as", "Association", "association", None),
        "m1": OrgInfo("m1", "Bank 1", "member", "as"),
        "m1-o": OrgInfo("m1-o", "Outlet", "outlet", "m1"),
        "m2": OrgInfo("m2", "Bank 2", "member", "as"),
    }
    views = [view(1, respondent_unit="m1-o"), closed(2, 1, respondent_unit="m1"), view(3, respondent_unit="m2")]
    inp = report_input("liaoning-banking-association", "association-bulletin", views, period="2026-H1", orgs=orgs)
    inp.org = "as"
    inp.sanctions = [{"sanction_id": "s1", "target_org": "m1-o", "kind": "interview"}]
    members = next(s for s in build(inp)["sections"] if s["id"] == "members")
    rows = {r[0]: dict(zip(members["columns"], r, strict=True)) for r in members["rows"]}
    assert (rows["m1"]["received"], rows["m1"]["closed"], rows["m1"]["sanctions"]) == (2, 1, 1)
    assert (rows["m2"]["received"], rows["m2"]["sanctions"]) == (1, 0)


def test_sat04_rpt14_register_carries_result_satisfaction_and_improvements() -> None:
    """RPT-14, ARC-02, SAT-04: the register holds content, process, result, satisfaction and improvements."""
    views = [closed(1, 2, satisfied=True, solution="refunded", rectification_measures="retrain", path=["a", "b"])]
    doc = build(report_input("futures-company", "monthly-compliance", views))
    register = doc["sections"][0]
    row = dict(zip(register["columns"], register["rows"][0], strict=True))
    assert (row["result"], row["satisfied"], row["improvements"], row["process"]) == (
        "refunded",
        True,
        "retrain",
        "a → b",
    )


def test_formats_carry_the_same_figures_and_sections() -> None:
    doc = build(report_input("mobile-operator-si", "si-service-analysis", SI_VIEWS))
    lines = list(csv.reader(io.StringIO(to_csv(doc))))
    assert ["figures"] in lines
    assert ["volume", "5"] in lines
    assert ["section: phone_requests", "Total phone service requests"] in lines
    book = load_workbook(io.BytesIO(to_xlsx(doc)))
    assert book.sheetnames[0] == "report"
    assert len(book.sheetnames) == 11
    assert book["phone_requests"]["A3"].value == 3
    page = to_html(doc)
    assert page.count("<table") == 12  # meta, figures and the ten sections


def row(id_: str, kind: str, tenant: str, regimes: list[str], first_seen: str) -> SimpleNamespace:
    return SimpleNamespace(
        id=id_, kind=kind, tenant=tenant, regimes=regimes, first_seen=datetime.fromisoformat(first_seen)
    )


def test_rpt01_rpt04_who_owes_a_report_issuer_kinds_else_the_tenant_root() -> None:
    bulletin = CATALOGUE.find("association-bulletin")
    assert owes(bulletin, row("as", "association", "as", ["liaoning-banking-association"], "2026-01-01T00:00:00+08:00"))
    assert not owes(bulletin, row("m1", "member", "m1", ["liaoning-banking-association"], "2026-01-01T00:00:00+08:00"))
    semiannual = CATALOGUE.find("regulator-semiannual")
    assert owes(semiannual, row("bank", "member", "bank", ["cbrc-2012-banking"], "2026-01-01T00:00:00+08:00"))
    assert not owes(semiannual, row("branch", "branch", "bank", ["cbrc-2012-banking"], "2026-01-01T00:00:00+08:00"))


def test_rpt04_an_organisation_owes_the_reports_due_after_it_was_first_heard_of() -> None:
    cal = ReportCalendar(CATALOGUE)
    semiannual = CATALOGUE.find("regulator-semiannual")
    bank = row("bank", "member", "bank", ["cbrc-2012-banking"], "2026-07-15T09:00:00+08:00")
    now = datetime(2027, 2, 1, tzinfo=SHANGHAI)
    got = [(i.period.name, i.due_at.isoformat() if i.due_at else None) for i in cal.instances(semiannual, bank, now)]
    # H1 2026 ended before the bank was heard of, but is due after: owed; H2 too
    assert got == [("2026-H1", "2026-07-30T23:59:59+08:00"), ("2026-H2", "2027-01-30T23:59:59+08:00")]
    assert cal.instances(semiannual, bank, now) == []  # nothing more until the next period ends


def test_arc08_arc02_archive_class_missing_items_and_retention() -> None:
    """ARC-08 the closure's class; ARC-02/ARC-03 the register items a file lacks; ARC-05/ARC-14 retention."""
    unhappy = closed(1, 2, satisfied=False, result_at="2026-06-01T11:00:00+08:00", archive_class="客户投诉处理不满意")
    assert archive_class(unhappy) == "客户投诉处理不满意"
    assert missing_items(unhappy) == []
    assert archive_class(view(2, status="withdrawn")) == "withdrawn"
    assert missing_items(view(2, status="withdrawn")) == []
    assert missing_items(closed(3, 1)) == ["result", "satisfaction"]
    assert archive_class(closed(4, 1, closed_at_intake=True)) == "closed_at_intake"
    # ARC-05: fund-sales keeps files 15 years
    assert CATALOGUE.parameter("fund-sales", "retention_years") == 15
    assert years_after(datetime(2028, 2, 29, tzinfo=SHANGHAI), 15) == datetime(2043, 2, 28, tzinfo=SHANGHAI)


EVERY_REPORT = {
    "association-bulletin": "RPT-01",
    "typical-case-research": "RPT-02",
    "member-summary": "RPT-03",
    "regulator-semiannual": "RPT-04",
    "registration-filing": "RPT-05",
    "hot-issue-analysis": "RPT-06",
    "large-scale-report": "RPT-07",
    "si-service-analysis": "RPT-08",
    "si-kpi-evaluation": "RPT-09",
    "tobacco-circular": "RPT-11",
    "quarterly-appraisal": "RPT-13",
    "monthly-compliance": "RPT-14",
    "responsibility-summary": "RPT-15",
    "mechanism-annual": "RPT-16",
    "regulator-complaints": "RPT-17",
    "monthly-statistics": "RPT-18",
    "monthly-callback-analysis": "RPT-19",
    "complaint-analysis": "RPT-21",
    "shift-handover": "RPT-23",
    "team-weekly": "RPT-24",
}


def test_every_policy_report_is_a_template_over_the_read_model() -> None:
    """Each report of every policy names its DOMAIN §6 rule and renders with its template in every format."""
    kinds = {o.report.kind: o for o in CATALOGUE.all()}
    for kind, rule in EVERY_REPORT.items():
        owed = kinds[kind]
        assert rule in owed.report.rule
        inp = report_input(owed.regime, kind, SI_VIEWS, period="2026")
        doc = build(inp)
        assert doc["sections"], kind
        assert doc["figures"]["volume"] == len(SI_VIEWS)
        assert to_csv(doc)
        assert to_xlsx(doc)
        assert to_html(doc).startswith("<!doctype html>")


def test_rpt06_hot_issues_are_the_categories_that_grew_most() -> None:
    """RPT-06: hot spots of complaints and consultations against the period before."""
    now = [view(1, category="fees"), view(2, category="fees"), view(3, category="product")]
    before = [view(4, category="product"), view(5, category="product")]
    doc = build(report_input("cbrc-2012-banking", "hot-issue-analysis", now, period="2026-H1", previous=before))
    hot = next(s for s in doc["sections"] if s["id"] == "hot_issues")
    assert hot["rows"][0] == ["fees", 2, 0, 2]
    assert hot["rows"][1] == ["product", 1, 2, -1]


def test_cb09_rpt19_monthly_callback_analysis_counts_callbacks_and_their_satisfaction_per_unit() -> None:
    """CB-09: the auto dealer's customer department analyses the month's callbacks: per unit, the closed complaints,
    those called back, the satisfied among them and the rate; a complaint not called back counts in none."""
    views = [
        closed(1, 2, respondent_unit="ad-sales", callbacks=1, satisfied=True),
        closed(2, 3, respondent_unit="ad-sales", callbacks=2, satisfied=False),
        closed(3, 4, respondent_unit="ad-sales"),
        closed(4, 5, respondent_unit="ad-workshop", sample_callbacks=1, satisfied=True),
        view(5, respondent_unit="ad-workshop"),
    ]
    doc = build(report_input("auto-dealer-service", "monthly-callback-analysis", views))
    assert "CB-09" in doc["rule"]
    (section,) = doc["sections"]
    rows = {r[0]: dict(zip(section["columns"], r, strict=True)) for r in section["rows"]}
    assert rows["ad-sales"] == {"unit": "ad-sales", "closed": 3, "called_back": 2, "satisfied": 1, "rate": 0.5}
    assert rows["ad-workshop"] == {"unit": "ad-workshop", "closed": 1, "called_back": 1, "satisfied": 1, "rate": 1.0}
