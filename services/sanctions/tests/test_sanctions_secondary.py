"""Sanctions of the brokerage (SAN-51), the car dealer (SAN-55), the manufacturer (SAN-56) and the bank's own complaint
practice bundled with the call-centre regime (SAN-52, SAN-53), sanctions alone on the real broker and database."""

from collections.abc import AsyncIterator

import pytest
from sanctions_harness import Harness, complaint, harness, tree

pytestmark = pytest.mark.integration
BROKERAGE, DEALER, MAKER, BANK = "brokerage-branch-hq", "auto-dealer-service", "manufacturer-qe", "bank-call-centre-csr"


@pytest.fixture(scope="module")
async def h(postgres_url: str) -> AsyncIterator[Harness]:
    async with harness(postgres_url) as running:
        yield running


async def test_san_51_a_major_complaint_is_investigated_by_the_audit_department(h: Harness) -> None:
    ids = await tree(h, BROKERAGE, "branch", kind="branch")
    major = await complaint(h, ids, BROKERAGE, "branch", "2026-05-06T09:00", priority="major")
    ordinary = await complaint(h, ids, BROKERAGE, "branch", "2026-05-06T10:00")
    [case] = await h.sanctions(complaint_id=major)
    assert (case["kind"], case["rule"], case["policy_rule"]) == (
        "audit_investigation",
        "SAN-51",
        "audit-investigation-major",
    )
    assert (case["target_org"], case["issuer"], case["target_persons"]) == (ids["branch"], "稽核考核部", ["staff-1"])
    assert case["evidence"]["complaint_ids"] == [major]
    assert await h.sanctions(complaint_id=ordinary) == []
    h.clock("2026-05-07T09:00")
    await h.publish(
        "complaint.reclassified",
        ids["top"],
        {"complaint_id": ordinary, "regime": BROKERAGE, "priority": "major", "reason": "many clients involved"},
    )
    [later] = await h.sanctions(complaint_id=ordinary)
    assert (later["kind"], later["rule"]) == ("audit_investigation", "SAN-51")
    assert later["imposed_at"].startswith("2026-05-07T09:00")


async def test_san_55_the_general_manager_decides_and_the_month_is_assessed(h: Harness) -> None:
    ids = await tree(h, DEALER, "sales", "parts", kind="branch")
    cid = await complaint(h, ids, DEALER, "sales", "2026-08-04T10:00")
    other = await complaint(h, ids, DEALER, "parts", "2026-08-05T10:00")
    decided = await h.http.post("/v1/determinations", json={"complaint_id": cid, "responsible": True})
    assert decided.status_code == 201, decided.text
    assert decided.json()["final"] is False
    cleared = await h.http.post("/v1/determinations", json={"complaint_id": other, "responsible": False})
    assert cleared.status_code == 201
    [case] = await h.sanctions(complaint_id=cid)
    assert (case["kind"], case["rule"], case["issuer"], case["target_org"]) == (
        "accountability_case",
        "SAN-55",
        "general manager",
        ids["sales"],
    )
    refused = await h.http.post(f"/v1/determinations/{decided.json()['id']}/appeal", json={"appellant": "sales-1"})
    assert refused.status_code == 409  # the general manager's decision: no appeal
    h.clock("2026-09-01T00:00:01")
    [sales] = await h.spy.wait_for(
        "kpi.evaluated", lambda e: e.data["org"] == ids["sales"] and e.data["period"] == "2026-08", timeout=10
    )
    assert (sales.data["rule"], sales.data["metric"]) == ("SAN-55", "complaint_outcome_assessment")
    assert (sales.data["value"], sales.data["threshold"], sales.data["compliant"]) == (1, 0, False)
    assert sales.data["verdict"].startswith("not compliant: 1")
    assert await h.evaluations(org=ids["parts"]) == []  # a non-responsibility outcome weighs on nobody


async def test_san_56_an_inadequate_corrective_plan_is_returned_each_time(h: Harness) -> None:
    ids = await tree(h, MAKER, "qa", "assembly", kind="branch")
    cid = await complaint(h, ids, MAKER, "assembly", "2026-03-02T09:00")
    for day in ("03", "05"):
        h.clock(f"2026-03-{day}T15:00")
        await h.publish(
            "complaint.result_rejected",
            ids["top"],
            {
                "complaint_id": cid,
                "regime": MAKER,
                "by": ids["qa"],
                "reason": "root cause not analysed",
                "to_unit": ids["assembly"],
            },
        )
    first, second = await h.sanctions(complaint_id=cid)
    assert (first["kind"], first["rule"], first["target_org"]) == ("rectification_order", "SAN-56", ids["assembly"])
    assert first["issuer"] == "management representative or general manager"
    assert "revise the corrective and preventive actions" in first["requirement"]
    assert [first["imposed_at"][:16], second["imposed_at"][:16]] == ["2026-03-03T15:00", "2026-03-05T15:00"]


async def test_san_52_san_53_a_fined_teller_and_the_branch_self_inspection(h: Harness) -> None:
    ids = await tree(h, BANK, "sub", kind="branch")
    misunderstood = await complaint(h, ids, BANK, "sub", "2026-04-08T10:00")
    answer = await h.http.post(
        "/v1/determinations",
        json={"complaint_id": misunderstood, "responsible": False, "clause": "customer-misunderstanding"},
    )
    assert answer.status_code == 201, answer.text
    assert await h.sanctions(complaint_id=misunderstood) == []  # SAN-52: no penalty on the teller
    rude = await complaint(h, ids, BANK, "sub", "2026-04-09T10:00")
    fined = await h.http.post(
        "/v1/determinations",
        json={"complaint_id": rude, "responsible": True, "clause": "service-attitude", "persons": ["teller-5"]},
    )
    assert fined.status_code == 201, fined.text
    notice, inspection = await h.sanctions(complaint_id=rude)
    assert (notice["kind"], notice["rule"], notice["target_persons"]) == ("penalty_notice", "SAN-52", ["teller-5"])
    assert notice["requirement"] == "criticism and a fine (扣罚) of the responsible teller"
    assert (inspection["kind"], inspection["rule"], inspection["target_org"]) == (
        "rectification_order",
        "SAN-53",
        ids["sub"],
    )
    assert "civil language" in inspection["requirement"]
    assert "rectification report" in inspection["requirement"]
    reported = await h.http.post(
        f"/v1/sanctions/{inspection['id']}/fulfilment", json={"note": "rectification report filed"}
    )
    assert reported.status_code == 200
    assert reported.json()["status"] == "fulfilled"
    missing = await h.http.post("/v1/determinations", json={"complaint_id": rude, "responsible": True, "clause": "x"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "clause"


async def test_san_50_complaint_handling_in_the_appraisal_and_internal_control(h: Harness) -> None:
    regime = "cbrc-2012-banking"
    ids = await tree(h, regime, "east", kind="branch")
    on_time = await complaint(h, ids, regime, "east", "2026-02-02T10:00")
    late = await complaint(h, ids, regime, "east", "2026-02-03T10:00")
    withdrawn = await complaint(h, ids, regime, "east", "2026-02-04T10:00")
    for cid in (late, withdrawn):
        h.clock("2026-02-20T10:00")
        await h.publish(
            "sla.breached",
            ids["top"],
            {
                "complaint_id": cid,
                "regime": regime,
                "stage": "HANDLING",
                "owner_unit": ids["east"],
                "cycle": 1,
                "due_at": "2026-02-19T23:59:59+08:00",
                "breached_at": "2026-02-20T00:00:00+08:00",
            },
        )
    h.clock("2026-02-21T10:00")
    await h.publish(
        "sla.breach_withdrawn",
        ids["top"],
        {"complaint_id": withdrawn, "regime": regime, "stage": "HANDLING", "cycle": 1},
    )
    for cid in (on_time, late, withdrawn):
        h.clock("2026-03-02T10:00")
        await h.publish("complaint.closed", ids["top"], {"complaint_id": cid, "regime": regime, "by": ids["east"]})
    h.clock("2026-07-01T00:00:01")
    [event] = await h.spy.wait_for(
        "kpi.evaluated", lambda e: e.data["org"] == ids["east"] and e.data["period"] == "2026-H1", timeout=10
    )
    assert (event.data["rule"], event.data["metric"]) == ("SAN-50", "complaint_handling_in_time")
    assert event.data["inputs"] == {"closed": 3, "breached": 1}
    assert (event.data["value"], event.data["threshold"], event.data["compliant"]) == (66.7, 100.0, False)
