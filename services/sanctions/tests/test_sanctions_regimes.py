"""Tobacco (DOMAIN §5.3), insurer (§5.5) and futures (§5.6) sanctions, sanctions alone on the real broker and
database."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sanctions_harness import Harness, complaint, harness, tree

pytestmark = pytest.mark.integration
TOBACCO, INSURER, FUTURES = "tobacco-bureau", "insurer-95511", "futures-company"


@pytest.fixture(scope="module")
async def h(postgres_url: str) -> AsyncIterator[Harness]:
    async with harness(postgres_url) as running:
        yield running


async def test_san27_san28_accountability_after_the_second_and_third_dispatch(h: Harness) -> None:
    ids = await tree(h, TOBACCO, "county")
    cid = await complaint(h, ids, TOBACCO, "county", "2026-05-06T09:00")
    for n, day in ((2, "2026-05-12"), (3, "2026-05-15")):
        reason = "customer dissatisfied" if n == 2 else "unjustified delay"
        data = {
            "complaint_id": cid,
            "regime": TOBACCO,
            "by": ids["top"],
            "to_unit": ids["county"],
            "dispatch_number": n,
            "reason": reason,
            "occurred_at": f"{day}T10:00:00+08:00",
        }
        await h.publish("complaint.redispatched", ids["top"], data)
    second, third = await h.sanctions(complaint_id=cid)
    assert (second["kind"], second["rule"], second["target_org"]) == ("accountability_case", "SAN-27", ids["county"])
    assert second["issuer"] == "city rectification office"
    assert second["target_persons"] == ["staff-1"]
    assert (third["rule"], third["issuer"]) == ("SAN-28", "city bureau leaders")


async def test_san26_cnd03_a_step_not_done_in_time_once_per_round(h: Harness) -> None:
    ids = await tree(h, TOBACCO, "county")
    cid = await complaint(h, ids, TOBACCO, "county", "2026-05-06T09:00")
    breach = {
        "complaint_id": cid,
        "regime": TOBACCO,
        "stage": "UNIT_HANDLING",
        "owner_unit": ids["county"],
        "clock": "working_days",
        "due_at": "2026-05-08T23:59:59+08:00",
        "cycle": 1,
        "occurred_at": "2026-05-09T00:00:00+08:00",
    }
    await h.publish("sla.breached", ids["top"], breach)
    await h.publish("sla.breached", ids["top"], {**breach, "cycle": 2, "occurred_at": "2026-05-15T00:00:00+08:00"})
    await h.publish("sla.breached", ids["top"], {**breach, "stage": "CALLBACK", "cycle": 1})  # not a unit's step
    cases = await h.sanctions(complaint_id=cid)
    assert [(c["rule"], c["target_org"]) for c in cases] == [("SAN-26", ids["county"])] * 2


async def test_san25_san27_sla_27_responsibility_to_a_person_and_the_quarterly_linkage(h: Harness) -> None:
    ids = await tree(h, TOBACCO, "county", "logistics")
    cid = await complaint(h, ids, TOBACCO, "county", "2026-08-03T09:00")
    nobody = await h.http.post("/v1/determinations", json={"complaint_id": cid, "responsible": True})
    assert nobody.status_code == 422
    assert nobody.json()["errors"][0]["rule"] == "SAN-30"
    found = await h.http.post(
        "/v1/determinations", json={"complaint_id": cid, "responsible": True, "persons": ["staff-7"]}
    )
    assert found.status_code == 201, found.text
    [pursued] = await h.sanctions(complaint_id=cid)
    assert (pursued["kind"], pursued["rule"], pursued["target_persons"]) == (
        "accountability_case",
        "SAN-25",
        ["staff-7"],
    )
    no_appeal = await h.http.post(f"/v1/determinations/{found.json()['id']}/appeal", json={"appellant": "staff-7"})
    assert no_appeal.status_code == 409
    other = await complaint(h, ids, TOBACCO, "county", "2026-08-04T09:00")
    await h.publish(
        "complaint.redispatched",
        ids["top"],
        {
            "complaint_id": other,
            "regime": TOBACCO,
            "by": ids["top"],
            "to_unit": ids["county"],
            "dispatch_number": 2,
            "reason": "improper handling",
            "occurred_at": "2026-08-10T10:00:00+08:00",
        },
    )
    h.clock("2026-10-01T00:00:05")
    [linkage] = await h.spy.wait_for(
        "kpi.evaluated", lambda e: e.data["org"] == ids["county"] and e.data["metric"] == "accountability_cases"
    )
    assert linkage.data["period"] == "2026-Q3"
    assert linkage.data["value"] == 2
    assert linkage.data["rule"] == "SAN-27"


GROUNDS: dict[str, dict[str, Any]] = {
    "service_attitude": {"complainant_maintains": True, "staff_disproved": False},
    "negligence": {"harm": "material_loss", "cause": "careless"},
    "dereliction": {"harm": "mental_harm", "cause": "deliberate_breach"},
}
"""Grounds that establish each insurer responsibility type (SAN-44, SAN-45)."""


async def test_san42_san43_insurer_responsibility_types(h: Harness) -> None:
    ids = await tree(h, INSURER, "claims")
    cid = await complaint(h, ids, INSURER, "claims", "2026-04-20T10:00", respondent_staff=["surveyor-9"])
    untyped = await h.http.post(
        "/v1/determinations", json={"complaint_id": cid, "responsible": True, "persons": ["surveyor-9"]}
    )
    assert untyped.status_code == 422
    assert untyped.json()["errors"][0] == {
        "field": "type",
        "message": untyped.json()["errors"][0]["message"],
        "rule": "SAN-43",
    }
    for kind, grounds in GROUNDS.items():
        typed = await h.http.post(
            "/v1/determinations",
            json={
                "complaint_id": cid,
                "responsible": True,
                "type": kind,
                "persons": ["surveyor-9"],
                "grounds": grounds,
            },
        )
        assert typed.status_code == 201, typed.text
        assert typed.json()["type"] == kind
        assert typed.json()["rule"] == "SAN-43"
        assert typed.json()["grounds"] == grounds
    unit_only = await h.http.post(
        "/v1/determinations",
        json={"complaint_id": cid, "responsible": True, "type": "negligence", "grounds": GROUNDS["negligence"]},
    )
    assert unit_only.status_code == 201  # SAN-42: a responsible unit without a named person
    assert unit_only.json()["units"] == [ids["claims"]]
    typed_without = await h.http.post(
        "/v1/determinations", json={"complaint_id": cid, "responsible": False, "type": "negligence"}
    )
    assert typed_without.status_code == 422
    assert await h.sanctions(complaint_id=cid) == []  # the tariff is cut off in 003-L (SAN-46 [GAP])


async def test_org_21_the_rules_apply_to_labour_contract_and_seconded_staff(h: Harness) -> None:
    ids = await tree(h, INSURER, "claims")
    cid = await complaint(h, ids, INSURER, "claims", "2026-04-21T10:00", respondent_staff=["surveyor-9"])

    async def determine(employment: str) -> Any:
        grounds = {**GROUNDS["negligence"], "employment": employment}
        body = {"complaint_id": cid, "responsible": True, "type": "negligence", "persons": ["p-1"], "grounds": grounds}
        return await h.http.post("/v1/determinations", json=body)

    for employment in ("labour_contract", "seconded"):
        made = await determine(employment)
        assert made.status_code == 201, made.text
    agent = await determine("independent_agent")
    assert agent.status_code == 422, agent.text
    assert [(e["field"], e["rule"]) for e in agent.json()["errors"]] == [("grounds", "ORG-21")]


async def test_san49_recurrent_problems_in_the_monthly_compliance_analysis(h: Harness) -> None:
    ids = await tree(h, FUTURES, "trading", "it")
    for day in ("05", "12", "19"):
        await complaint(h, ids, FUTURES, "trading", f"2026-10-{day}T10:00")
    for day in ("06", "13"):
        await complaint(h, ids, FUTURES, "it", f"2026-10-{day}T10:00")
    h.clock("2026-11-01T00:00:05")
    [trading] = await h.spy.wait_for(
        "kpi.evaluated", lambda e: e.data["org"] == ids["trading"] and e.data["metric"] == "monthly_complaints"
    )
    assert trading.data["compliant"] is False
    [order] = await h.sanctions(org=ids["trading"])
    assert (order["kind"], order["rule"], order["issuer"]) == ("rectification_order", "SAN-49", "合规稽核部")
    [it] = await h.spy.wait_for(
        "kpi.evaluated", lambda e: e.data["org"] == ids["it"] and e.data["metric"] == "monthly_complaints"
    )
    assert it.data["compliant"] is True
    assert await h.sanctions(org=ids["it"]) == []


async def test_san_44_service_attitude_needs_the_complainant_to_maintain_it_unrefuted(h: Harness) -> None:
    ids = await tree(h, INSURER, "counter")
    cid = await complaint(h, ids, INSURER, "counter", "2026-04-21T10:00")
    body = {"complaint_id": cid, "responsible": True, "type": "service_attitude", "persons": ["agent-3"]}
    for grounds in ({}, {"complainant_maintains": False}, {"complainant_maintains": True, "staff_disproved": True}):
        refused = await h.http.post("/v1/determinations", json={**body, "grounds": grounds})
        assert refused.status_code == 422, grounds
        [error] = refused.json()["errors"]
        assert (error["field"], error["rule"]) == ("grounds", "SAN-44")
    held = await h.http.post("/v1/determinations", json={**body, "grounds": GROUNDS["service_attitude"]})
    assert held.status_code == 201, held.text
    [stored] = (await h.http.get("/v1/determinations", params={"complaint_id": cid})).json()
    assert (stored["type"], stored["grounds"]) == ("service_attitude", GROUNDS["service_attitude"])


async def test_san_45_negligence_and_dereliction_need_harm_and_their_cause(h: Harness) -> None:
    ids = await tree(h, INSURER, "claims")
    cid = await complaint(h, ids, INSURER, "claims", "2026-04-22T10:00")
    refusals = [
        ("negligence", {"cause": "careless"}),  # no material loss or mental harm
        ("negligence", {"harm": "material_loss", "cause": "deliberate_breach"}),  # deliberate: not negligence
        ("dereliction", {"harm": "material_and_mental", "cause": "careless"}),  # careless: not dereliction
        ("dereliction", {"harm": "none", "cause": "duty_not_performed"}),
    ]
    for kind, grounds in refusals:
        refused = await h.http.post(
            "/v1/determinations", json={"complaint_id": cid, "responsible": True, "type": kind, "grounds": grounds}
        )
        assert refused.status_code == 422, (kind, grounds)
        assert refused.json()["errors"][0]["rule"] == "SAN-45"
    for kind, grounds in (
        ("negligence", {"harm": "mental_harm", "cause": "careless"}),
        ("dereliction", {"harm": "material_loss", "cause": "duty_not_performed"}),
    ):
        held = await h.http.post(
            "/v1/determinations", json={"complaint_id": cid, "responsible": True, "type": kind, "grounds": grounds}
        )
        assert held.status_code == 201, held.text
        assert held.json()["type"] == kind
