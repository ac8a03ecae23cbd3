"""Sanctions end to end, through CONTRACT only: complaints posted to intake, handling actions posted to routing,
determinations, KPI inputs, fulfilments and points posted to sanctions, and the business clock moved over periods.
Organisation ids are prefixed `sx-` so no other test shares them.

Events whose producers do not derive them from the public interface yet are published onto `tousu.events` as the
producer would: intake's `complaint.repeat_detected` with cause `unreachable` (AS-09).
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
import pytest

from tests.e2e.tc2026 import TC_2026
from tousu.contracts.envelope import CloudEvent
from tousu.kit.platform import Platform
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.e2e
Api = dict[str, httpx.AsyncClient]
LN, CU, MO, CSR = "liaoning-banking-association", "credit-union-province", "mobile-operator-si", "bank-call-centre-csr"


def org(id_: str, kind: str, parent: str | None, tenant: str, regime: str, **more: Any) -> dict[str, Any]:
    return {"id": id_, "name": id_, "kind": kind, "parent": parent, "tenant": tenant, "regimes": [regime], **more}


def handlers(unit: str) -> dict[str, Any]:
    return {"handlers": [{"id": f"{unit}-a", "name": "A", "role": "A"}, {"id": f"{unit}-b", "name": "B", "role": "B"}]}


ORGS = [
    org("sx-ln-assoc", "association", None, "sx-ln-assoc", LN, **handlers("sx-ln-assoc")),
    org("sx-ln-bank", "member", "sx-ln-assoc", "sx-ln-bank", LN),
    org("sx-ln-bank-complaints", "department", "sx-ln-bank", "sx-ln-bank", LN, **handlers("sx-ln-bank-complaints")),
    org("sx-ln-heping", "outlet", "sx-ln-bank", "sx-ln-bank", LN),
    org("sx-cu-city", "city-union", None, "sx-cu", CU),
    org("sx-cu-county", "county-union", "sx-cu-city", "sx-cu", CU),
    org("sx-cu-x", "outlet", "sx-cu-county", "sx-cu", CU),
    org("sx-cu-y", "outlet", "sx-cu-county", "sx-cu", CU),
    org("sx-cmcc", "operator", None, "sx-cmcc", MO),
    org("sx-cmcc-10086", "department", "sx-cmcc", "sx-cmcc", MO),
    org("sx-si-alpha", "vendor", "sx-cmcc", "sx-si-alpha", MO),
    org("sx-si-beta", "vendor", "sx-cmcc", "sx-si-beta", MO),
    org("sx-si-gamma", "vendor", "sx-cmcc", "sx-si-gamma", MO),
    org("sx-ccc", "department", None, "sx-ccc", CSR),
]


@pytest.fixture(scope="module")
async def api(platform: Platform, admin_token: str) -> AsyncIterator[Api]:
    clients = {
        s: httpx.AsyncClient(base_url=platform.url(s), headers={"Authorization": f"Bearer {admin_token}"}, timeout=15)
        for s in ("intake", "routing", "sla", "sanctions", "reporting")
    }
    for o in ORGS:
        response = await clients["routing"].put(f"/v1/orgs/{o['id']}", json=o)
        assert response.status_code == 200, response.text
    assert (await clients["sla"].put("/v1/calendars/2026", json=TC_2026)).status_code == 200

    async def replicated() -> bool:
        probe = await clients["sanctions"].post(
            "/v1/points", json={"org": ORGS[-1]["id"], "person": "probe", "rule": "no-such-rule"}
        )
        return probe.status_code == 422 and probe.json()["errors"][0]["field"] == "rule"

    await eventually(replicated, timeout=15)
    yield clients
    for client in clients.values():
        await client.aclose()


async def clock(api: Api, now: str) -> None:
    """Move the business clock and wait until sanctions runs on it (its periodic evaluations follow the clock)."""
    assert (await api["sanctions"].put("/admin/clock", json={"now": now})).status_code == 200

    async def moved() -> bool:
        for service in ("intake", "routing", "sanctions"):
            shown = (await api[service].get("/admin/clock")).json()["now"]
            if shown[:16] != now[:16]:
                return False
        return True

    await eventually(moved, timeout=5)


async def barrier(api: Api) -> None:
    """Wait until sanctions has consumed what routing published so far: routing publishes in order and sanctions
    consumes one queue in order, so once an organisation put now has reached sanctions, so have the earlier
    events (a period's last callbacks or results, before the clock jumps over its end)."""
    marker = f"sx-marker-{uuid.uuid4().hex[:8]}"
    body = org(marker, "department", None, marker, CSR)
    assert (await api["routing"].put(f"/v1/orgs/{marker}", json=body)).status_code == 200

    async def known() -> bool:
        probe = await api["sanctions"].post("/v1/points", json={"org": marker, "person": "probe", "rule": "none"})
        return probe.json()["errors"][0]["field"] == "rule"

    await eventually(known, timeout=10)


async def submit(api: Api, regime: str, received_at: str, **fields: Any) -> str:
    body = {
        "regime": regime,
        "received_at": received_at,
        "receiver_staff": "emp-1",
        "channel": "phone",
        "kind": "complaint",
        # Another customer each time: the same one again would be a repeat complaint (SAN-01(2), SAN-36).
        "complainant": {"name": "张三", "phone": f"139{uuid.uuid4().int % 10**8:08d}", "standing": "direct"},
        "category": "service_attitude",
        "facts": "The customer's complaint, as recorded.",
        "demand": "An answer.",
        **fields,
    }
    response = await api["intake"].post("/v1/complaints", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.text
    complaint_id: str = response.json()["id"]
    return complaint_id


async def act(api: Api, complaint_id: str, type_: str, at: str, by: str, **fields: Any) -> None:
    async def accepted() -> bool:
        response = await api["routing"].post(
            f"/v1/cases/{complaint_id}/actions", json={"type": type_, "at": at, "by": by, **fields}
        )
        assert response.status_code in (202, 404), response.text  # 404: the case is not open yet, retry
        return response.status_code == 202

    await eventually(accepted, timeout=10)


async def determine(api: Api, **body: Any) -> httpx.Response:
    """POST /v1/determinations, retried while sanctions has not heard of the complaint yet (404)."""

    async def answered() -> httpx.Response | None:
        response = await api["sanctions"].post("/v1/determinations", json=body)
        return response if response.status_code != 404 else None

    return await eventually(answered, timeout=10)


async def sanctions(api: Api, **query: str) -> list[dict[str, Any]]:
    response = await api["sanctions"].get("/v1/sanctions", params=query)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def test_as03_san01_san02_san03_liaoning_ladder(api: Api, amqp_url: str) -> None:
    """Same problem at outlet Heping on 05-11 and 05-20, no rectification: interview; held 05-28; again on 06-02
    with still no measure: public criticism, a report to the regulator, both award eligibilities lost."""
    complaint = {
        "receiving_unit": "sx-ln-assoc",
        "respondent": {"unit": "sx-ln-heping", "staff": ["teller-wang"]},
        "category": "cash_services",
        "facts": "Teller Wang refused to exchange damaged notes.",
    }
    async with EventSpy(amqp_url, "#.sx-ln-bank") as spy:
        first: list[str] = []
        for when in ("2026-05-11T10:00:00+08:00", "2026-05-20T10:00:00+08:00"):
            await clock(api, when)
            first.append(await submit(api, LN, when, **complaint))
        [imposed] = await spy.wait_for("sanction.imposed", lambda e: e.data["kind"] == "interview")
        assert imposed.data["rule"] == "SAN-01(3)"
        assert imposed.data["target_org"] == "sx-ln-bank"
        assert imposed.data["issuer"] == "association leader in charge"
        assert imposed.data["counterpart"] == "member unit leader in charge"
        assert imposed.data["requirement"] == "rectification"
        assert sorted(imposed.data["evidence"]["complaint_ids"]) == sorted(first)
        interview = imposed.data["sanction_id"]

        await clock(api, "2026-05-28T15:00:00+08:00")
        held = await api["sanctions"].post(f"/v1/sanctions/{interview}/fulfilment", json={"note": "interview held"})
        assert held.status_code == 200, held.text
        await spy.wait_for("sanction.fulfilled", lambda e: e.data["sanction_id"] == interview)

        await clock(api, "2026-06-02T09:00:00+08:00")
        third = await submit(api, LN, "2026-06-02T09:00:00+08:00", **complaint)
        [criticism] = await spy.wait_for("sanction.imposed", lambda e: e.data["kind"] == "public_criticism")
        assert (criticism.data["rule"], criticism.data["issuer"]) == ("SAN-02", "association service committee")
        assert (criticism.data["scope"], criticism.data["recommendation"]) == ("industry", "disciplinary action")
        assert criticism.data["evidence"]["complaint_ids"] == [third]
        awards = await spy.wait_for("sanction.imposed", lambda e: e.data["kind"] == "award_ineligible", count=2)
        assert {a.data["target_org"] for a in awards} == {"sx-ln-bank", "sx-ln-heping"}
        assert {a.data["rule"] for a in awards} == {"SAN-03"}
        [report] = await spy.wait_for(
            "regulator.report_required", lambda e: e.data["source_event"] == str(criticism.id), timeout=10
        )
        assert report.data["recommendation"] == "disciplinary action"

    listed = await sanctions(api, org="sx-ln-bank", **{"from": "2026-05-01", "to": "2026-06-30"})
    assert [s["kind"] for s in listed] == ["interview", "public_criticism", "award_ineligible"]
    assert [s["status"] for s in listed] == ["fulfilled", "active", "active"]
    assert await sanctions(api, org="sx-ln-bank", **{"from": "2026-06-03"}) == []


async def test_as17_san15_san16_san19_san20_mobile_kpis_at_their_boundaries_and_refunds(
    api: Api, amqp_url: str
) -> None:
    """June 2026: alpha 10 complaints for 20,000 fee-paying users (exactly 5.00 per 10,000: suspended), beta 10
    for 20,001 (compliant); gamma completes 3 of 4 within 24 hours (exactly 75 %: compliant). October: refunds
    made by China Mobile on an SI's behalf are deducted from its settlement, double or (group function fees) 1×."""
    at_10086 = {"receiving_unit": "sx-cmcc-10086", "channel": "hotline"}
    await clock(api, "2026-06-01T08:00:00+08:00")
    for si, users in (("sx-si-alpha", 20000), ("sx-si-beta", 20001)):
        response = await api["sanctions"].post(
            "/v1/kpi-inputs", json={"org": si, "period": "2026-06", "metric": "fee_paying_users", "value": users}
        )
        assert response.status_code == 201, response.text
    await clock(api, "2026-06-10T12:00:00+08:00")
    for si in ("sx-si-alpha", "sx-si-beta"):
        for minute in range(10):
            await submit(api, MO, f"2026-06-10T10:{minute:02d}:00+08:00", respondent={"unit": si}, **at_10086)
    gamma = [
        await submit(api, MO, f"2026-06-10T11:{m:02d}:00+08:00", respondent={"unit": "sx-si-gamma"}, **at_10086)
        for m in range(4)
    ]
    await clock(api, "2026-06-12T12:00:00+08:00")
    for i, cid in enumerate(gamma):
        done = "2026-06-11T11:00:00+08:00" if i < 3 else "2026-06-12T11:30:00+08:00"
        await act(api, cid, "submit_result", done, "sx-si-gamma", solution="fixed")

    await barrier(api)
    async with EventSpy(amqp_url, "kpi.evaluated.*") as spy:
        await clock(api, "2026-07-02T00:00:05+08:00")  # June is over, and its last complaints had their 24 hours
        wanted = {
            ("sx-si-alpha", "complaints_per_10k_users"),
            ("sx-si-beta", "complaints_per_10k_users"),
            ("sx-si-gamma", "timely_completion_rate"),
            ("sx-si-alpha", "timely_completion_rate"),
        }
        evaluated = await spy.wait_for(
            "kpi.evaluated",
            lambda e: (e.data["org"], e.data["metric"]) in wanted and e.data["period"] == "2026-06",
            count=len(wanted),
        )
    by = {(e.data["org"], e.data["metric"]): e.data for e in evaluated}
    alpha = by[("sx-si-alpha", "complaints_per_10k_users")]
    assert (alpha["value"], alpha["threshold"], alpha["compliant"]) == (5.0, 5.0, False)
    beta = by[("sx-si-beta", "complaints_per_10k_users")]
    assert (beta["value"], beta["compliant"]) == (4.9998, True)
    timely = by[("sx-si-gamma", "timely_completion_rate")]
    assert (timely["value"], timely["threshold"], timely["compliant"]) == (75.0, 75.0, True)
    assert by[("sx-si-alpha", "timely_completion_rate")]["compliant"] is False
    [suspended] = [s for s in await sanctions(api, org="sx-si-alpha") if s["rule"] == "SAN-15"]
    assert (suspended["kind"], suspended["status"], suspended["period"]) == (
        "settlement_suspended",
        "active",
        "2026-06",
    )
    assert [s for s in await sanctions(api, org="sx-si-beta") if s["rule"] == "SAN-15"] == []
    assert await sanctions(api, org="sx-si-gamma") == []

    await clock(api, "2026-10-13T09:00:00+08:00")
    wrong_fee = {"category": "fees", "disputed_amount": {"amount": "30.00", "currency": "CNY"}, **at_10086}
    via_10086 = await submit(api, MO, "2026-10-13T09:00:00+08:00", respondent={"unit": "sx-si-alpha"}, **wrong_fee)
    group = await submit(
        api,
        MO,
        "2026-10-13T09:05:00+08:00",
        respondent={"unit": "sx-si-beta"},
        flags={"group_customer": True},
        **{**wrong_fee, "disputed_amount": {"amount": "500.00", "currency": "CNY"}},
    )
    await clock(api, "2026-10-13T15:00:00+08:00")
    await act(
        api,
        via_10086,
        "submit_result",
        "2026-10-13T14:00:00+08:00",
        "sx-cmcc-10086",
        solution="refunded",
        refund={"amount": "60.00", "currency": "CNY", "multiple": 2, "method": "account top-up"},
    )
    await act(
        api,
        group,
        "submit_result",
        "2026-10-13T14:30:00+08:00",
        "sx-cmcc-10086",
        solution="refunded",
        refund={"amount": "500.00", "currency": "CNY"},
    )

    async def deductions() -> list[dict[str, Any]] | None:
        found = [
            s for s in await sanctions(api, kind="settlement_deduction") if s["complaint_ids"][0] in (via_10086, group)
        ]
        return found if len(found) == 2 else None

    double, function_fees = sorted(await eventually(deductions), key=lambda s: s["target_org"])
    assert (double["target_org"], double["rule"], double["amount"]) == (
        "sx-si-alpha",
        "SAN-19",
        {"amount": "60.00", "currency": "CNY"},
    )
    assert double["evidence"]["figures"]["multiple"] == "2"
    assert (function_fees["target_org"], function_fees["rule"], function_fees["amount"]["amount"]) == (
        "sx-si-beta",
        "SAN-20",
        "500.00",
    )


async def test_as07_as08_as09_credit_union_determinations_callbacks_and_the_circular(api: Api, amqp_url: str) -> None:
    """AS-08: a wrong 50-yuan fee determined against teller Li (who bears it), appealed, re-determined finally;
    teller Zhao recommended for staying tolerant. AS-09: a repeat because outlet X was unreachable counts against
    it, and with no rectification the Q1 summary circulates it. AS-07: county union A called back 2 of the 7
    complaints closed in June: 28.6 % < 30 %."""
    async with EventSpy(amqp_url, "*.*.sx-cu") as spy:
        await clock(api, "2026-03-02T10:00:00+08:00")
        base = {"receiving_unit": "sx-cu-x", "authority": "outlet"}
        fee = await submit(
            api,
            CU,
            "2026-03-02T09:00:00+08:00",
            respondent={"unit": "sx-cu-x", "staff": ["teller-li"]},
            category="fees",
            disputed_amount={"amount": "50.00", "currency": "CNY"},
            **base,
        )
        first = await submit(api, CU, "2026-03-02T09:30:00+08:00", respondent={"unit": "sx-cu-x"}, **base)

        response = await determine(
            api, complaint_id=fee, responsible=True, clause="第十九条(四)", persons=["teller-li"]
        )
        assert response.status_code == 201, response.text
        assert response.json()["disputed_fee_borne"] == {"amount": "50.00", "currency": "CNY"}
        [penalty] = await sanctions(api, complaint_id=fee)
        assert (penalty["kind"], penalty["rule"], penalty["target_persons"]) == (
            "economic_penalty",
            "SAN-33",
            ["teller-li"],
        )
        appeal = await api["sanctions"].post(
            f"/v1/determinations/{response.json()['id']}/appeal", json={"appellant": "teller-li"}
        )
        assert appeal.status_code == 202, appeal.text
        assert appeal.json()["to_body"] == "sx-cu-county"
        final = await api["sanctions"].post(
            "/v1/determinations",
            json={
                "complaint_id": fee,
                "responsible": True,
                "clause": "第十九条(四)",
                "persons": ["teller-li"],
                "supersedes": response.json()["id"],
            },
        )
        assert final.status_code == 201, final.text
        assert final.json()["final"] is True
        again = await api["sanctions"].post(
            f"/v1/determinations/{final.json()['id']}/appeal", json={"appellant": "teller-li"}
        )
        assert (again.status_code, again.json()["rule"]) == (409, "RCN-04")

        outage = await submit(
            api,
            CU,
            "2026-03-02T09:40:00+08:00",
            category="system_fault",
            respondent={"unit": "sx-cu-x", "staff": ["teller-zhao"]},
            **base,
        )
        tolerant = await determine(
            api, complaint_id=outage, responsible=False, clause="第二十条(二)", tolerant_persons=["teller-zhao"]
        )
        assert tolerant.status_code == 201, tolerant.text
        [reward] = await spy.wait_for("reward.recommended", lambda e: e.complaint_id == outage)
        assert reward.data["persons"] == ["teller-zhao"]

        await clock(api, "2026-03-04T15:00:00+08:00")
        repeat = await submit(
            api, CU, "2026-03-04T15:00:00+08:00", respondent={"unit": "sx-cu-x"}, channel="hotline", **base
        )
        await publish(
            amqp_url,
            "complaint.repeat_detected",
            "sx-cu",
            {
                "complaint_id": repeat,
                "regime": CU,
                "parent_complaint_id": first,
                "cause": "unreachable",
                "respondent_unit": "sx-cu-x",
                "occurred_at": "2026-03-04T15:00:00+08:00",
            },
        )
        await spy.wait_for(
            "responsibility.determined", lambda e: e.complaint_id == repeat and e.data["rule"] == "SAN-36"
        )
        await clock(api, "2026-04-01T00:00:05+08:00")
        [circular] = await spy.wait_for("sanction.imposed", lambda e: e.data["kind"] == "circular")
        assert (circular.data["target_org"], circular.data["rule"], circular.data["scope"]) == (
            "sx-cu-x",
            "SAN-37",
            "jurisdiction",
        )
        [indicator] = await spy.wait_for("kpi.evaluated", lambda e: e.data["metric"] == "responsibility_complaints")
        assert (indicator.data["org"], indicator.data["value"]) == ("sx-cu-x", 2)  # Li's fee, the unreachable repeat

        await clock(api, "2026-06-01T08:00:00+08:00")
        units = ["sx-cu-x" if day % 2 else "sx-cu-y" for day in range(1, 8)]
        ids = await asyncio.gather(
            *(
                submit(
                    api,
                    CU,
                    f"2026-06-0{day}T07:00:00+08:00",
                    respondent={"unit": unit},
                    **{**base, "receiving_unit": unit},
                )
                for day, unit in enumerate(units, start=1)
            )
        )
        await clock(api, "2026-06-20T12:00:00+08:00")

        async def handled(cid: str, unit: str, sampled: bool) -> None:
            """Answered, closed and called back by the outlet; a sample also by county union A (CB-01)."""
            await act(
                api,
                cid,
                "reply_customer",
                "2026-06-08T10:00:00+08:00",
                unit,
                method="phone",
                reconsideration_notice=True,
            )
            await act(api, cid, "close", "2026-06-08T11:00:00+08:00", unit)
            await act(api, cid, "record_callback", "2026-06-09T10:00:00+08:00", unit, satisfied=True)
            if sampled:
                await act(api, cid, "record_callback", "2026-06-10T10:00:00+08:00", "sx-cu-county", satisfied=True)

        await asyncio.gather(*(handled(cid, unit, i < 2) for i, (cid, unit) in enumerate(zip(ids, units, strict=True))))
        await barrier(api)
        await clock(api, "2026-07-01T00:00:05+08:00")
        [quota] = await spy.wait_for("kpi.evaluated", lambda e: e.data["metric"] == "superior_callback_ratio")
    assert (quota.data["org"], quota.data["period"]) == ("sx-cu-county", "2026-06")
    assert (quota.data["value"], quota.data["threshold"], quota.data["compliant"]) == (28.6, 30.0, False)
    assert quota.data["inputs"] == {"closed": 7, "called_back": 2, "required": 3}


async def test_as23_san61_to_san116_call_centre_points(api: Api, amqp_url: str) -> None:
    """CSR #1088's Q3 2026: +1 +5 −2 −10 −10 +5 = −11 and the year's award eligibility lost; #1090's flammable
    item −20; #1091's deliberate damage: Q3 score 0; #1095: off-post training after the third failed quarter,
    dismissal after failing its assessment; a centre of 40 nominates at most 6, never #1088."""
    entries = [
        ("csr-1088", "full-attendance", "2026-07-31T18:00:00+08:00", {}),
        ("csr-1088", "private-call", "2026-08-12T10:30:00+08:00", {"minutes": 5, "via_seat_system": True}),
        ("csr-1088", "asleep-on-night-shift", "2026-08-20T03:10:00+08:00", {}),
        ("csr-1088", "serious-customer-complaint", "2026-09-03T11:00:00+08:00", {"verified": True}),
        ("csr-1088", "most-wronged", "2026-09-15T16:00:00+08:00", {}),
        ("csr-1088", "little-bee", "2026-09-30T18:00:00+08:00", {}),
        ("csr-1090", "flammable-items", "2026-09-30T18:00:00+08:00", {}),
        ("csr-1091", "deliberate-damage", "2026-09-30T18:00:00+08:00", {}),
        ("csr-2001", "technical-expert", "2026-09-30T18:00:00+08:00", {"rank": 1}),
        ("csr-1095", "appraisal-failed", "2026-03-31T18:00:00+08:00", {}),
        ("csr-1095", "appraisal-failed", "2026-09-30T18:00:00+08:00", {}),
    ]
    await clock(api, "2026-10-08T09:00:00+08:00")
    for person, rule, at, more in entries:
        body = {"org": "sx-ccc", "person": person, "rule": rule, "at": at, **more}
        response = await api["sanctions"].post("/v1/points", json=body)
        assert response.status_code == 201, (rule, response.text)
    ledger = (await api["sanctions"].get("/v1/points", params={"org": "sx-ccc", "period": "2026-Q3"})).json()
    quarters = {q["person"]: q for q in ledger["quarters"]}
    assert quarters["csr-1088"]["adjustment"] == -11
    assert quarters["csr-1090"]["adjustment"] == -20
    assert quarters["csr-1091"]["score_set_to"] == 0
    [ineligible] = await sanctions(api, org="sx-ccc", kind="award_ineligible")
    assert (ineligible["target_persons"], ineligible["period"]) == (["csr-1088"], "2026")
    assert await sanctions(api, org="sx-ccc", kind="offpost_training") == []
    assert (
        await api["sanctions"].post(
            "/v1/kpi-inputs", json={"org": "sx-ccc", "period": "2026", "metric": "headcount", "value": 40}
        )
    ).status_code == 201

    async with EventSpy(amqp_url, "reward.recommended.sx-ccc") as spy:
        await clock(api, "2027-01-01T00:00:05+08:00")
        [nominated] = await spy.wait_for("reward.recommended", timeout=10)
    assert nominated.data["persons"][0] == "csr-2001"
    assert "csr-1088" not in nominated.data["persons"]
    assert len(nominated.data["persons"]) <= 6
    await clock(api, "2027-03-31T18:00:00+08:00")
    third = await api["sanctions"].post(
        "/v1/points", json={"org": "sx-ccc", "person": "csr-1095", "rule": "appraisal-failed"}
    )
    assert third.status_code == 201, third.text
    [training] = await sanctions(api, org="sx-ccc", kind="offpost_training")
    assert (training["target_persons"], training["rule"]) == (["csr-1095"], "SAN-116")
    failed = await api["sanctions"].post(
        "/v1/points", json={"org": "sx-ccc", "person": "csr-1095", "rule": "offpost-training-failed"}
    )
    assert failed.status_code == 201, failed.text
    assert [s["target_persons"] for s in await sanctions(api, org="sx-ccc", kind="dismissal")] == [["csr-1095"]]


async def publish(url: str, type_: str, tenant: str, data: dict[str, Any]) -> None:
    """An event onto tousu.events as its producer would publish it (see the module's docstring)."""
    producer = {"complaint.repeat_detected": "intake"}[type_]
    event = CloudEvent(source=f"tousu/{producer}", type=type_, time=data["occurred_at"], tenant=tenant, data=data)
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("tousu.events")
        message = aio_pika.Message(
            event.model_dump_json().encode(), message_id=str(event.id), delivery_mode=aio_pika.DeliveryMode.PERSISTENT
        )
        await exchange.publish(message, event.routing_key)
