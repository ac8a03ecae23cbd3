"""Credit unions (DOMAIN §5.4, AS-05 B/C, AS-07, AS-08, AS-09) and the determinations of the insurer and the
tobacco bureau, on the real broker and database, sanctions alone."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sanctions_harness import Harness, harness

pytestmark = pytest.mark.integration
CU = "credit-union-province"


@pytest.fixture(scope="module")
async def h(postgres_url: str) -> AsyncIterator[Harness]:
    async with harness(postgres_url) as running:
        yield running


async def world(h: Harness) -> dict[str, str]:
    n = uuid.uuid4().hex[:6]
    ids = {"city": f"cu-city-{n}", "county": f"cu-county-{n}", "x": f"cu-x-{n}", "y": f"cu-y-{n}"}
    tenant = ids["city"]
    await h.orgs(
        {"id": ids["city"], "name": "市联社", "kind": "city_union", "tenant": tenant, "regimes": [CU]},
        {
            "id": ids["county"],
            "name": "县联社A",
            "kind": "county_union",
            "parent": ids["city"],
            "tenant": tenant,
            "regimes": [CU],
        },
        {"id": ids["x"], "name": "网点X", "kind": "outlet", "parent": ids["county"], "tenant": tenant, "regimes": [CU]},
        {"id": ids["y"], "name": "网点Y", "kind": "outlet", "parent": ids["county"], "tenant": tenant, "regimes": [CU]},
    )
    return ids


async def complaint(h: Harness, ids: dict[str, str], when: str, unit: str = "x", **fields: Any) -> str:
    h.clock(when)
    fields.setdefault("respondent_staff", ["teller-li"])
    fields.setdefault("authority", "outlet")
    return await h.received(ids["city"], CU, when, respondent_unit=ids[unit], **fields)


async def determine(h: Harness, **body: Any) -> Any:
    return await h.http.post("/v1/determinations", json=body)


async def test_as08_san31_san33_responsibility_with_the_disputed_fee_borne_and_a_penalty(h: Harness) -> None:
    ids = await world(h)
    cid = await complaint(
        h, ids, "2026-06-01T10:00", category="fees", disputed_amount={"amount": "50.00", "currency": "CNY"}
    )
    response = await determine(h, complaint_id=cid, responsible=True, clause="第十九条(四)", persons=["teller-li"])
    assert response.status_code == 201, response.text
    determination = response.json()
    assert determination["disputed_fee_borne"] == {"amount": "50.00", "currency": "CNY"}
    assert determination["determining_body"] == ids["x"]  # SAN-30: the employee's own unit
    assert determination["final"] is False
    event = (await h.spy.wait_for("responsibility.determined", lambda e: e.complaint_id == cid))[0]
    assert event.data["clause"] == "第十九条(四)"
    assert event.data["persons"] == ["teller-li"]
    [penalty] = await h.sanctions(complaint_id=cid)
    assert penalty["kind"] == "economic_penalty"
    assert penalty["rule"] == "SAN-33"
    assert penalty["target_org"] == ids["x"]
    assert penalty["target_persons"] == ["teller-li"]
    assert penalty["evidence"]["figures"]["disputed_fee_borne"] == "50.00"
    # Severity grades the penalty (SAN-33): serious → disciplinary sanction, grave → dismissal.
    other = await complaint(h, ids, "2026-06-02T10:00")
    graded = await determine(
        h, complaint_id=other, responsible=True, clause="第十九条(二)", persons=["teller-zhou"], severity="grave"
    )
    assert graded.status_code == 201
    assert [s["kind"] for s in await h.sanctions(complaint_id=other)] == ["dismissal"]


async def test_as08_san_32_san_39_non_responsibility_sanctions_nobody_and_does_not_count(h: Harness) -> None:
    ids = await world(h)
    outage = await complaint(h, ids, "2026-06-03T10:00", category="system_fault")
    response = await determine(h, complaint_id=outage, responsible=False, clause="第二十条(二)")
    assert response.status_code == 201, response.text
    assert response.json()["responsible"] is False
    assert await h.sanctions(complaint_id=outage) == []
    queue = await complaint(h, ids, "2026-06-03T11:00")
    assert (await determine(h, complaint_id=queue, responsible=False, clause="第二十条(三)")).status_code == 201
    attitude = await complaint(h, ids, "2026-06-03T12:00")
    response = await determine(h, complaint_id=attitude, responsible=True, clause="第十九条(二)", persons=["teller-li"])
    assert response.status_code == 201
    h.clock("2026-07-01T00:00:05")  # the quarter is over: outlet X's deduction indicator counts one, not three
    [indicator] = await _evaluated(h, ids["x"], "responsibility_complaints")
    assert indicator["value"] == 1
    assert indicator["compliant"] is False
    assert indicator["inputs"] == {"responsibility_complaints": 1}


async def _evaluated(h: Harness, org: str, metric: str, count: int = 1) -> list[dict[str, Any]]:
    events = await h.spy.wait_for(
        "kpi.evaluated", lambda e: e.data["org"] == org and e.data["metric"] == metric, timeout=10, count=count
    )
    return [e.data for e in events]


async def test_san31_san32_san43_a_determination_is_checked_against_the_regime(h: Harness) -> None:
    ids = await world(h)
    cid = await complaint(h, ids, "2026-06-04T10:00")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"responsible": True, "clause": "第九十九条", "persons": ["a"]}, "clause", "SAN-31"),
        ({"responsible": True, "clause": "第二十条(二)", "persons": ["a"]}, "responsible", "SAN-32"),
        ({"responsible": True, "clause": "第十九条(二)"}, "persons", "SAN-30"),
        ({"responsible": False, "clause": "第二十条(一)", "persons": ["a"]}, "persons", "SAN-32"),
        (
            {"responsible": True, "clause": "第十九条(二)", "persons": ["a"], "disputed_fee_borne": "5"},
            "disputed_fee_borne",
            "SAN-31",
        ),
        (
            {"responsible": True, "clause": "第十九条(二)", "persons": ["a"], "severity": "enormous"},
            "severity",
            "SAN-33",
        ),
    ]
    for body, field, rule in cases:
        response = await determine(h, complaint_id=cid, **body)
        assert response.status_code == 422, (body, response.text)
        errors = response.json()["errors"]
        assert {"field": field, "rule": rule} in [{"field": e["field"], "rule": e.get("rule")} for e in errors], errors
    unknown = await determine(h, complaint_id=str(uuid.uuid4()), responsible=False, clause="第二十条(一)")
    assert unknown.status_code == 404


async def test_as08_rcn04_san30_an_appeal_goes_to_the_next_level_whose_decision_is_final(h: Harness) -> None:
    ids = await world(h)
    cid = await complaint(h, ids, "2026-06-05T10:00", disputed_amount={"amount": "50.00"})
    first = (
        await determine(h, complaint_id=cid, responsible=True, clause="第十九条(四)", persons=["teller-li"])
    ).json()
    h.clock("2026-06-06T10:00")
    appealed = await h.http.post(
        f"/v1/determinations/{first['id']}/appeal",
        json={"appellant": "teller-li", "reason": "the fee code was preset by the system"},
    )
    assert appealed.status_code == 202, appealed.text
    assert appealed.json()["to_body"] == ids["county"]  # the next-level leading group
    assert appealed.json()["accepted"] is True
    pending = await h.http.post(f"/v1/determinations/{first['id']}/appeal", json={"appellant": "teller-li"})
    assert pending.status_code == 409
    # The next level re-determines: not responsible after all (technical limitation); final.
    h.clock("2026-06-10T10:00")
    second = await determine(h, complaint_id=cid, responsible=False, clause="第二十条(二)", supersedes=first["id"])
    assert second.status_code == 201, second.text
    assert second.json()["final"] is True
    assert second.json()["determining_body"] == ids["county"]
    [penalty] = await h.sanctions(complaint_id=cid)
    assert penalty["status"] == "lifted"
    assert "re-determined" in penalty["lift_reason"]
    old = (await h.http.get(f"/v1/determinations/{first['id']}")).json()
    assert old["status"] == "superseded"
    assert old["appeal"]["reason"] == "the fee code was preset by the system"
    [accepted] = await h.spy.wait_for("responsibility.appealed", lambda e: e.data["accepted"] and e.complaint_id == cid)
    assert accepted.data["reason"] is None  # the employee's words stay off the bus
    refused = await h.http.post(f"/v1/determinations/{second.json()['id']}/appeal", json={"appellant": "teller-li"})
    assert refused.status_code == 409
    assert refused.json()["rule"] == "RCN-04"
    final = second.json()["id"]
    await h.spy.wait_for(
        "responsibility.appealed", lambda e: e.data["determination_id"] == final and not e.data["accepted"]
    )
    # A re-determination answers an appeal, none is pending any more.
    again = await determine(h, complaint_id=cid, responsible=False, clause="第二十条(二)", supersedes=first["id"])
    assert again.status_code == 409


async def test_org_11_org_12_the_leading_group_of_each_level_determines_counter_staff(h: Harness) -> None:
    """ORG-12: the measures apply to counter staff of the business outlets (a back-office post is refused);
    ORG-11: the determination is the leading group's of the employee's own level, an appeal goes to the next level's."""
    ids = await world(h)
    cid = await complaint(h, ids, "2026-06-08T10:00")
    rude = {"complaint_id": cid, "responsible": True, "clause": "第十九条(二)"}
    back_office = await determine(h, **rude, persons=["clerk-wu"], grounds={"post": "back_office"})
    assert back_office.status_code == 422, back_office.text
    assert [(e["field"], e["rule"]) for e in back_office.json()["errors"]] == [("grounds", "ORG-12")]
    counter = await determine(h, **rude, persons=["teller-li"], grounds={"post": "counter"})
    assert counter.status_code == 201, counter.text
    assert counter.json()["determining_body"] == ids["x"]
    h.clock("2026-06-09T10:00")
    appealed = await h.http.post(f"/v1/determinations/{counter.json()['id']}/appeal", json={"appellant": "teller-li"})
    assert appealed.json()["to_body"] == ids["county"]


async def test_as08_san38_tolerant_staff_recommended_for_a_reward(h: Harness) -> None:
    ids = await world(h)
    cid = await complaint(h, ids, "2026-06-08T10:00", category="system_fault", respondent_staff=["teller-zhao"])
    response = await determine(
        h, complaint_id=cid, responsible=False, clause="第二十条(二)", tolerant_persons=["teller-zhao"]
    )
    assert response.status_code == 201, response.text
    [reward] = await h.spy.wait_for("reward.recommended", lambda e: e.complaint_id == cid)
    assert reward.data["persons"] == ["teller-zhao"]
    assert reward.data["rule"] == "SAN-38"
    assert reward.data["org"] == ids["x"]


async def test_as05_san35_overrun_without_permission_opens_an_accountability_case(h: Harness) -> None:
    ids = await world(h)
    cid = await complaint(h, ids, "2026-09-29T10:00", unit="y", authority="city")
    breach = {
        "complaint_id": cid,
        "regime": CU,
        "stage": "CITY",
        "owner_unit": ids["county"],
        "clock": "working_days",
        "due_at": "2026-10-08T23:59:59+08:00",
        "breached_at": "2026-10-09T00:00:00+08:00",
        "occurred_at": "2026-10-09T00:00:00+08:00",
    }
    h.clock("2026-10-09T00:00:01")
    await h.publish("sla.breached", ids["city"], breach)
    [case] = await h.sanctions(complaint_id=cid)
    assert case["kind"] == "accountability_case"
    assert case["rule"] == "SAN-35"
    assert case["target_org"] == ids["county"]
    assert case["target_persons"] == ["teller-li"]
    assert "未經許可超時" in case["reason"]
    # The same breach delivered again imposes nothing twice.
    await h.publish("sla.breached", ids["city"], dict(breach))
    assert len(await h.sanctions(complaint_id=cid)) == 1
    # A breach of another regime's stage is not this rule's.
    await h.publish("sla.breached", ids["city"], {**breach, "stage": "RECON_DECISION"})
    assert len(await h.sanctions(complaint_id=cid)) == 1


async def test_as09_san36_san37_unreachable_repeat_counts_and_the_quarterly_circular(h: Harness) -> None:
    ids = await world(h)
    first = await complaint(h, ids, "2026-03-02T09:00")
    repeat = await complaint(h, ids, "2026-03-04T15:00", channel="hotline")
    await h.publish(
        "complaint.repeat_detected",
        ids["city"],
        {
            "complaint_id": repeat,
            "regime": CU,
            "parent_complaint_id": first,
            "cause": "unreachable",
            "respondent_unit": ids["x"],
            "occurred_at": "2026-03-04T15:00:00+08:00",
        },
    )
    [charged] = await h.spy.wait_for("responsibility.determined", lambda e: e.complaint_id == repeat)
    assert charged.data["responsible"] is True
    assert charged.data["rule"] == "SAN-36"
    assert charged.data["units"] == [ids["x"]]
    # Outlet Y had a responsibility complaint too, and recorded a rectification measure.
    other = await complaint(h, ids, "2026-03-05T10:00", unit="y")
    assert (
        await determine(h, complaint_id=other, responsible=True, clause="第十九条(二)", persons=["teller-wu"])
    ).status_code == 201
    h.clock("2026-03-20T10:00")
    measure = {"org": ids["y"], "measures": "service-attitude training for the whole outlet"}
    assert (await h.http.post("/v1/rectifications", json=measure)).status_code == 201
    h.clock("2026-04-01T00:00:05")  # the Q1 summary
    [x_summary] = await _evaluated(h, ids["x"], "unrectified_responsibility_complaints")
    assert x_summary["compliant"] is False
    assert x_summary["period"] == "2026-Q1"
    [circular] = await h.sanctions(org=ids["x"], kind="circular")
    assert circular["rule"] == "SAN-37"
    assert circular["scope"] == "jurisdiction"
    [y_summary] = await _evaluated(h, ids["y"], "unrectified_responsibility_complaints")
    assert y_summary["compliant"] is True
    assert await h.sanctions(org=ids["y"], kind="circular") == []
    [x_indicator] = await _evaluated(h, ids["x"], "responsibility_complaints")
    assert x_indicator["value"] == 1
    assert x_indicator["rule"] == "SAN-34"


async def test_as07_cb01_superior_callback_quota(h: Harness) -> None:
    ids = await world(h)
    closed: list[tuple[str, str]] = []
    for day in range(1, 8):
        unit = "x" if day % 2 else "y"
        cid = await complaint(h, ids, f"2026-06-{day:02d}T10:00", unit=unit)
        await h.publish(
            "complaint.closed",
            ids["city"],
            {"complaint_id": cid, "regime": CU, "occurred_at": f"2026-06-{day:02d}T16:00:00+08:00"},
        )
        closed.append((cid, ids[unit]))
    for cid, unit in closed:  # every one called back by the complained outlet (100 %)
        await h.publish(
            "callback.recorded",
            ids["city"],
            {
                "complaint_id": cid,
                "regime": CU,
                "satisfied": True,
                "by_unit": unit,
                "occurred_at": "2026-06-20T10:00:00+08:00",
            },
        )
    for cid, _ in closed[:2]:  # the county union calls back only two: ceil(0.3 × 7) = 3 needed
        await h.publish(
            "callback.recorded",
            ids["city"],
            {
                "complaint_id": cid,
                "regime": CU,
                "satisfied": True,
                "by_unit": ids["county"],
                "sample": True,
                "occurred_at": "2026-06-21T10:00:00+08:00",
            },
        )
    h.clock("2026-07-01T00:00:05")
    [quota] = await _evaluated(h, ids["county"], "superior_callback_ratio")
    assert quota["value"] == 28.6
    assert quota["threshold"] == 30.0
    assert quota["compliant"] is False
    assert quota["inputs"] == {"closed": 7, "called_back": 2, "required": 3}
    assert quota["unit"] == "percent"
    assert quota["period"] == "2026-06"
    complained = await _evaluated(h, ids["x"], "complained_unit_callback_ratio")
    assert complained[0]["value"] == 100.0
    assert complained[0]["compliant"] is True
