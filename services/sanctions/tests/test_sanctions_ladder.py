"""The Liaoning accountability ladder (SAN-01…05, AS-03) on the real broker and database, sanctions alone.

"多次" is the parameter multiple_times (default 2, as AS-03 assumes). Routing's and sla's events are published as
their producers would.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sanctions_harness import Harness, harness

from tousu.kit.auth import issue_token
from tousu.kit.settings import DEV_TOKEN_SECRET

pytestmark = pytest.mark.integration
LN = "liaoning-banking-association"


@pytest.fixture(scope="module")
async def h(postgres_url: str) -> AsyncIterator[Harness]:
    async with harness(postgres_url) as running:
        yield running


async def world(h: Harness) -> dict[str, str]:
    """An association, a member bank and two of its outlets, with ids of this test's own."""
    n = uuid.uuid4().hex[:6]
    ids = {"assoc": f"ln-assoc-{n}", "bank": f"bank-{n}", "outlet": f"heping-{n}", "other": f"dadong-{n}"}
    await h.orgs(
        {"id": ids["assoc"], "name": "协会", "kind": "association", "tenant": ids["assoc"], "regimes": [LN]},
        {
            "id": ids["bank"],
            "name": "会员银行",
            "kind": "member",
            "parent": ids["assoc"],
            "tenant": ids["bank"],
            "regimes": [LN],
        },
        {
            "id": ids["outlet"],
            "name": "和平网点",
            "kind": "outlet",
            "parent": ids["bank"],
            "tenant": ids["bank"],
            "regimes": [LN],
        },
        {
            "id": ids["other"],
            "name": "大东网点",
            "kind": "outlet",
            "parent": ids["bank"],
            "tenant": ids["bank"],
            "regimes": [LN],
        },
    )
    return ids


async def complaint(h: Harness, ids: dict[str, str], when: str, unit: str = "outlet", **fields: Any) -> str:
    h.clock(when)
    return await h.received(
        ids["bank"],
        LN,
        when,
        receiving_unit=ids["assoc"],
        respondent_unit=ids[unit],
        respondent_staff=["teller-wang"],
        category=fields.pop("category", "cash_services"),
        **fields,
    )


def only(found: list[dict[str, Any]], **match: Any) -> list[dict[str, Any]]:
    return [s for s in found if all(s.get(k) == v for k, v in match.items())]


async def test_as03_san01_san02_san03_interview_then_public_criticism_then_award_loss(h: Harness) -> None:
    ids = await world(h)
    first = await complaint(h, ids, "2026-05-11T10:00")
    assert await h.sanctions(org=ids["bank"]) == []  # one complaint is not "多次"
    second = await complaint(h, ids, "2026-05-20T10:00")
    [interview] = await h.sanctions(org=ids["bank"], kind="interview")
    assert interview["rule"] == "SAN-01(3)"
    assert interview["step"] == 1
    assert interview["issuer"] == "association leader in charge"
    assert interview["issuer_org"] == ids["assoc"]
    assert interview["counterpart"] == "member unit leader in charge"
    assert interview["requirement"] == "rectification"
    assert sorted(interview["evidence"]["complaint_ids"]) == sorted([first, second])
    assert interview["evidence"]["figures"] == {"count": 2, "threshold": 2}
    assert interview["imposed_at"] == "2026-05-20T10:00:00+08:00"
    imposed = await h.spy.wait_for("sanction.imposed", lambda e: e.data["sanction_id"] == interview["id"])
    assert imposed[0].routing_key == f"sanction.imposed.{ids['bank']}"

    h.clock("2026-05-28T15:00")
    held = await h.http.post(f"/v1/sanctions/{interview['id']}/fulfilment", json={"note": "interview held"})
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "fulfilled"
    await h.spy.wait_for("sanction.fulfilled", lambda e: e.data["sanction_id"] == interview["id"])
    again = await h.http.post(f"/v1/sanctions/{interview['id']}/fulfilment", json={})
    assert again.status_code == 409

    third = await complaint(h, ids, "2026-06-02T09:00")
    found = await h.sanctions(org=ids["bank"])
    assert [s["kind"] for s in found] == ["interview", "public_criticism", "award_ineligible"]
    criticism = found[1]
    assert criticism["rule"] == "SAN-02"
    assert criticism["issuer"] == "association service committee"
    assert criticism["scope"] == "industry"
    assert criticism["recommendation"] == "disciplinary action"
    assert criticism["evidence"]["complaint_ids"] == [third]
    assert criticism["evidence"]["figures"] == {"count": 1, "threshold": 1}
    award_member = found[2]
    assert award_member["rule"] == "SAN-03"
    assert award_member["period"] == "2026"
    assert "organisation award" in award_member["reason"]
    [award_outlet] = await h.sanctions(org=ids["outlet"], kind="award_ineligible")
    assert "服務先進單位" in award_outlet["reason"]
    assert award_outlet["step"] == 3


async def test_san_05_san_01_a_rectification_restarts_the_count(h: Harness) -> None:
    ids = await world(h)
    await complaint(h, ids, "2026-05-11T10:00")
    h.clock("2026-05-12T10:00")
    rectified = await h.http.post(
        "/v1/rectifications",
        json={"org": ids["outlet"], "category": "cash_services", "measures": "damaged-note exchange re-trained"},
    )
    assert rectified.status_code == 201, rectified.text
    await complaint(h, ids, "2026-05-20T10:00")
    assert await h.sanctions(org=ids["bank"]) == []  # only one since the measure
    # Another problem at the same outlet is another subject; another outlet another count.
    await complaint(h, ids, "2026-05-21T10:00", category="fees")
    await complaint(h, ids, "2026-05-21T11:00", unit="other")
    assert await h.sanctions(org=ids["bank"]) == []
    await complaint(h, ids, "2026-05-22T10:00")
    [interview] = await h.sanctions(org=ids["bank"])
    assert interview["kind"] == "interview"
    assert len(interview["evidence"]["complaint_ids"]) == 2


async def test_san02_rectified_after_the_interview_but_recurring_repeatedly(h: Harness) -> None:
    """SAN-02's second alternative: a measure recorded after the interview, then the problem again "多次"."""
    ids = await world(h)
    await complaint(h, ids, "2026-03-02T10:00")
    await complaint(h, ids, "2026-03-03T10:00")
    [interview] = await h.sanctions(org=ids["bank"])
    h.clock("2026-03-05T10:00")
    assert (await h.http.post(f"/v1/sanctions/{interview['id']}/fulfilment", json={})).status_code == 200
    h.clock("2026-03-06T10:00")
    measure = {"org": ids["outlet"], "measures": "all tellers re-trained"}
    assert (await h.http.post("/v1/rectifications", json=measure)).status_code == 201
    await complaint(h, ids, "2026-03-10T10:00")
    assert await h.sanctions(org=ids["bank"], kind="public_criticism") == []  # once after a measure: not yet
    await complaint(h, ids, "2026-03-12T10:00")
    [criticism] = await h.sanctions(org=ids["bank"], kind="public_criticism")
    assert criticism["evidence"]["figures"] == {"count": 2, "threshold": 2}


async def test_san03_lifting_the_criticism_lifts_the_award_ineligibility(h: Harness) -> None:
    ids = await world(h)
    for day in ("2026-07-01T10:00", "2026-07-02T10:00"):
        await complaint(h, ids, day)
    [interview] = await h.sanctions(org=ids["bank"])
    h.clock("2026-07-03T10:00")
    await h.http.post(f"/v1/sanctions/{interview['id']}/fulfilment", json={})
    await complaint(h, ids, "2026-07-06T10:00")
    [criticism] = await h.sanctions(org=ids["bank"], kind="public_criticism")
    h.clock("2026-07-20T10:00")
    lifted = await h.http.post(
        f"/v1/sanctions/{criticism['id']}/lifting", json={"reason": "the committee accepted the member's appeal"}
    )
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["lift_reason"] == "the committee accepted the member's appeal"
    statuses = {(s["kind"], s["target_org"]): s["status"] for s in await h.sanctions()}
    assert statuses[("public_criticism", ids["bank"])] == "lifted"
    assert statuses[("award_ineligible", ids["bank"])] == "lifted"
    assert statuses[("award_ineligible", ids["outlet"])] == "lifted"
    assert statuses[("interview", ids["bank"])] == "fulfilled"
    events = await h.spy.wait_for("sanction.lifted", lambda e: e.data["target_org"] in ids.values(), count=3)
    assert {e.data["kind"] for e in events} == {"public_criticism", "award_ineligible"}
    missing = await h.http.post(f"/v1/sanctions/{criticism['id']}/lifting", json={"reason": ""})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "reason"


async def test_san01_1_cnd01_nobody_accepted_the_forwarded_complaint(h: Harness) -> None:
    ids = await world(h)
    cid = await complaint(h, ids, "2026-04-08T10:00")
    breach = {
        "complaint_id": cid,
        "regime": LN,
        "stage": "VERIFY",
        "owner_unit": ids["bank"],
        "clock": "working_days",
        "due_at": "2026-04-10T23:59:59+08:00",
        "breached_at": "2026-04-11T00:00:00+08:00",
        "occurred_at": "2026-04-11T00:00:00+08:00",
    }
    h.clock("2026-04-11T00:00:01")
    await h.publish("sla.breached", ids["bank"], breach)
    [interview] = await h.sanctions(org=ids["bank"], kind="interview")
    assert interview["rule"] == "SAN-01(1)"
    assert interview["complaint_ids"] == [cid]
    # A breach whose stop arrived late is withdrawn, and the interview with it (ARCHITECTURE §5).
    await h.publish(
        "sla.breach_withdrawn",
        ids["bank"],
        {**breach, "stopped_at": "2026-04-10T18:00:00+08:00", "occurred_at": "2026-04-10T18:00:00+08:00"},
    )
    [withdrawn] = await h.sanctions(org=ids["bank"], kind="interview")
    assert withdrawn["status"] == "lifted"
    assert "withdrawn" in withdrawn["lift_reason"]


async def test_san01_1_not_when_the_member_acknowledged(h: Harness) -> None:
    ids = await world(h)
    cid = await complaint(h, ids, "2026-04-08T10:00")
    await h.publish(
        "complaint.acknowledged",
        ids["bank"],
        {"complaint_id": cid, "regime": LN, "by": ids["bank"], "occurred_at": "2026-04-08T11:00:00+08:00"},
    )
    await h.publish(
        "sla.breached",
        ids["bank"],
        {
            "complaint_id": cid,
            "regime": LN,
            "stage": "VERIFY",
            "owner_unit": ids["bank"],
            "clock": "working_days",
            "due_at": "2026-04-10T23:59:59+08:00",
            "occurred_at": "2026-04-11T00:00:00+08:00",
        },
    )
    assert await h.sanctions(org=ids["bank"]) == []


async def test_san01_2_repeated_complaints_to_the_association(h: Harness) -> None:
    ids = await world(h)
    parent = await complaint(h, ids, "2026-08-03T10:00")
    repeat = await complaint(h, ids, "2026-08-10T10:00", category="fees")
    await h.publish(
        "complaint.repeat_detected",
        ids["bank"],
        {
            "complaint_id": repeat,
            "regime": LN,
            "parent_complaint_id": parent,
            "cause": "no_timely_reply",
            "respondent_unit": ids["outlet"],
            "occurred_at": "2026-08-10T10:00:00+08:00",
        },
    )
    [interview] = await h.sanctions(org=ids["bank"], kind="interview")
    assert interview["rule"] == "SAN-01(2)"
    assert interview["evidence"]["figures"] == {"count": 2, "threshold": 2}


async def test_san01_4_media_exposure_on_the_first_occurrence(h: Harness) -> None:
    ids = await world(h)
    cid = await complaint(h, ids, "2026-09-01T10:00")
    await h.publish(
        "complaint.escalated",
        ids["bank"],
        {
            "complaint_id": cid,
            "reference": "R-1",
            "regime": LN,
            "owner_unit": ids["outlet"],
            "level": 1,
            "target_unit": ids["bank"],
            "reason": "media_exposure",
            "occurred_at": "2026-09-02T10:00:00+08:00",
        },
    )
    [interview] = await h.sanctions(org=ids["bank"], kind="interview")
    assert interview["rule"] == "SAN-01(4)"
    assert interview["imposed_at"] == "2026-09-02T10:00:00+08:00"


async def test_san04_rectification_opinion_when_the_member_verifies_a_valid_complaint(h: Harness) -> None:
    ids = await world(h)
    cid = await complaint(h, ids, "2026-04-08T10:00")
    await h.publish(
        "complaint.verified",
        ids["bank"],
        {
            "complaint_id": cid,
            "regime": LN,
            "by": ids["bank"],
            "valid": True,
            "occurred_at": "2026-04-09T10:00:00+08:00",
        },
    )
    [opinion] = await h.sanctions(org=ids["outlet"])
    assert opinion["kind"] == "rectification_opinion"
    assert opinion["rule"] == "SAN-04"
    assert opinion["target_persons"] == ["teller-wang"]
    assert opinion["issuer_org"] == ids["bank"]
    # Not when the facts were not confirmed.
    other = await complaint(h, ids, "2026-04-08T11:00", unit="other")
    await h.publish(
        "complaint.verified",
        ids["bank"],
        {
            "complaint_id": other,
            "regime": LN,
            "by": ids["bank"],
            "valid": False,
            "occurred_at": "2026-04-09T10:00:00+08:00",
        },
    )
    assert await h.sanctions(org=ids["other"]) == []


async def test_contract_3_a_caller_sees_its_own_subtree_and_needs_the_role_to_act(h: Harness) -> None:
    ids, others = await world(h), await world(h)
    for bank in (ids, others):
        await complaint(h, bank, "2026-10-12T10:00")
        await complaint(h, bank, "2026-10-13T10:00")
    [mine] = await h.sanctions(org=ids["bank"])
    [theirs] = await h.sanctions(org=others["bank"])

    def as_(org: str, *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(DEV_TOKEN_SECRET, org, roles)}"}

    bank = as_(ids["bank"], "supervisor")
    seen = (await h.http.get("/v1/sanctions", headers=bank)).json()
    assert [s["id"] for s in seen] == [mine["id"]]
    assert (await h.http.get(f"/v1/sanctions/{theirs['id']}", headers=bank)).status_code == 404
    association = (await h.http.get("/v1/sanctions", headers=as_(ids["assoc"], "auditor"))).json()
    assert [s["id"] for s in association] == [mine["id"]]  # the association issued it
    handler = as_(ids["bank"], "handler")
    refused = await h.http.post(f"/v1/sanctions/{mine['id']}/fulfilment", json={}, headers=handler)
    assert refused.status_code == 403
    assert (await h.http.get("/v1/sanctions")).status_code == 200
    assert (await h.http.get("/v1/sanctions", headers={"Authorization": "Bearer nope"})).status_code == 401
