"""Intake's parts of the acceptance scenarios through the whole platform (CONTRACT §4): AS-10 (credit-union
acceptance conditions and the staff-violation referral), AS-12(a) (futures closure at intake). AS-24's 120 complaints
run against intake alone (tests/integration/test_intake_service.py) to keep this suite fast. Each test has its own
tenant."""

import uuid
from typing import Any

import httpx
import pytest

from tousu.kit.platform import Platform
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.e2e


async def world(
    api: dict[str, httpx.AsyncClient], tag: str, regime: str, ingress_user: str | None = None
) -> dict[str, str]:
    """A tenant (root → county → outlet) under `regime`, registered with routing and replicated into intake."""
    units = {"root": f"{tag}-root", "county": f"{tag}-county", "outlet": f"{tag}-outlet"}
    parents = {"root": None, "county": units["root"], "outlet": units["county"]}
    for level, unit in units.items():
        org: dict[str, Any] = {
            "id": unit,
            "name": f"{tag} {level}",
            "kind": {"root": "member", "county": "county", "outlet": "outlet"}[level],
            "parent": parents[level],
            "tenant": units["root"],
            "regimes": [regime],
            "authority_level": level,
        }
        if ingress_user and level == "root":
            org["ingress_users"] = [{"user": ingress_user, "roles": ["submitter"]}]
        response = await api["routing"].put(f"/v1/orgs/{unit}", json=org)
        assert response.status_code == 200, response.text

    async def replicated() -> bool:
        probe = {**complaint(regime, units["outlet"]), "regime": "no-such-regime"}
        r = await api["intake"].post("/v1/complaints", json=probe, headers={"Idempotency-Key": str(uuid.uuid4())})
        return "unknown organisation" not in r.text

    await eventually(replicated, timeout=10)
    return units


def complaint(regime: str, unit: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "regime": regime,
        "received_at": "2026-04-30T11:00:00+08:00",
        "receiving_unit": unit,
        "receiver_staff": "emp-17",
        "channel": "walk_in",
        "kind": "complaint",
        "complainant": {"name": "周九", "phone": "13300000009", "standing": "direct"},
        "respondent": {"unit": unit, "staff": ["emp-22"]},
        "category": "service_attitude",
        "facts": "The teller shouted at me.",
    }
    body.update(overrides)
    return body


async def post(api: dict[str, httpx.AsyncClient], body: dict[str, Any]) -> httpx.Response:
    return await api["intake"].post("/v1/complaints", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})


async def test_as10_int21_int22_credit_union_conditions_feedback_and_staff_violation_referral(
    platform: Platform, api: dict[str, httpx.AsyncClient], amqp_url: str
) -> None:
    regime = "credit-union-province"
    units = await world(api, f"as10-{uuid.uuid4().hex[:5]}", regime)
    outlet = units["outlet"]
    async with EventSpy(amqp_url, f"*.*.{units['root']}") as spy:
        # (a) anonymous, no outlet, no person, no specifics → rejected, kept as feedback, no case, no clock
        anonymous = await post(
            api,
            complaint(regime, units["county"], complainant={}, respondent={"staff": []}, facts=None, channel="phone"),
        )
        assert anonymous.status_code == 422
        assert anonymous.headers["content-type"].startswith("application/problem+json")
        errors = {e["field"]: e for e in anonymous.json()["errors"]}
        assert set(errors) == {"respondent", "facts"}
        assert {e["rule"] for e in errors.values()} == {"INT-21"}
        assert "第五条(四)" in errors["respondent"]["message"]
        assert "第五条(五)" in errors["facts"]["message"]
        rejected = (await spy.wait_for("complaint.rejected"))[0]
        assert rejected.data["stored_as"] == "feedback"
        assert {r["rule"] for r in rejected.data["reasons"]} == {"INT-21"}
        # (b) a neighbour without authorisation → rejected; with a signed authorisation → accepted as agent
        neighbour = complaint(regime, outlet, complainant={"name": "邻居", "standing": "agent"})
        refused = await post(api, neighbour)
        assert refused.status_code == 422
        assert "第五条(三)" in refused.json()["errors"][0]["message"]
        neighbour["complainant"] = {**neighbour["complainant"], "authorisation_ref": "signed-2026-04-29"}
        agent = await post(api, neighbour)
        assert agent.status_code == 201, agent.text
        # (c) objection to a 2-yuan SMS fee → accepted
        fee = await post(api, complaint(regime, outlet, category="fees", disputed_amount={"amount": "2.00"}))
        assert fee.status_code == 201
        assert fee.json()["classification"]["validity"] == "valid"
        # (d) a teller embezzled deposits → recorded, referred, no case and no clock
        violation = await post(api, complaint(regime, outlet, category="staff_violation", facts="Embezzled savings."))
        assert violation.status_code == 201, violation.text
        assert violation.json()["status"] == "referred"
        assert violation.json()["classification"]["scope"] == "referred"
        received = (await spy.wait_for("complaint.received", lambda e: e.complaint_id == violation.json()["id"]))[0]
        assert received.data["classification"]["referral_target"] == "role:supervision-security"
        assert "INT-22" in received.data["classification"]["reasons"]
        # (e) forwarded by the county government → accepted
        government = await post(api, complaint(regime, outlet, channel="government_referral"))
        assert government.status_code == 201
        references = {r.json()["reference"] for r in (agent, fee, violation, government)}
        assert len(references) == 4
        assert all(ref.startswith(f"{units['root'].upper()}-2026-") for ref in references)


async def test_as12a_lc04_futures_satisfied_customer_is_closed_at_intake_without_a_case(
    platform: Platform, api: dict[str, httpx.AsyncClient], amqp_url: str
) -> None:
    regime = "futures-company"
    units = await world(api, f"as12-{uuid.uuid4().hex[:5]}", regime)
    body = complaint(
        regime,
        units["root"],
        channel="phone",
        category="brokerage_business",
        facts="Asked why a margin call was sent.",
        resolved_at_intake={
            "at": "2026-04-30T11:10:00+08:00",
            "resolution": "Explained the margin rules.",
            "customer_satisfied": True,
            "no_further_complaint": True,
        },
    )
    async with EventSpy(amqp_url, f"*.*.{units['root']}") as spy:
        closed = await post(api, body)
        assert closed.status_code == 201, closed.text
        assert closed.json()["status"] == "closed_at_intake"
        event = (await spy.wait_for("complaint.closed_at_intake"))[0]
        assert event.data["closed_at"] == "2026-04-30T11:10:00+08:00"
        assert event.data["rule"] == "LC-04"
        # an ordinary complaint of the same tenant, posted after it, gets its case and clock ...
        ordinary = await post(api, complaint(regime, units["root"], channel="phone"))
        await spy.wait_for("sla.clock_started", lambda e: e.complaint_id == ordinary.json()["id"], timeout=15)
        # ... while the one closed at intake never had a case or a clock
        closed_id = closed.json()["id"]
        assert not spy.of("complaint.received", lambda e: e.complaint_id == closed_id)
        assert not spy.of("complaint.assigned", lambda e: e.complaint_id == closed_id)
        assert not spy.of("sla.clock_started", lambda e: e.complaint_id == closed_id)
    record = (await api["intake"].get(f"/v1/complaints/{closed_id}")).json()
    assert record["status"] == "closed_at_intake"


async def test_lc10_int40_insurer_withdrawal_before_the_transfer_and_refused_after_routings_forward(
    platform: Platform, api: dict[str, httpx.AsyncClient], amqp_url: str
) -> None:
    regime = "insurer-95511"
    units = await world(api, f"lc10-{uuid.uuid4().hex[:5]}", regime)
    await api["intake"].put("/admin/clock", json={"now": "2026-05-06T12:00:00+08:00"})
    body = complaint(
        regime, units["root"], channel="hotline", category="claims", received_at="2026-05-06T09:00:00+08:00"
    )
    async with EventSpy(amqp_url, f"*.*.{units['root']}") as spy:
        early, late = [(await post(api, body)).json()["id"] for _ in "ab"]
        withdrawn = await api["intake"].post(
            f"/v1/complaints/{early}/withdrawal", json={"requested_at": "2026-05-06T09:30:00+08:00"}
        )
        assert withdrawn.status_code == 200, withdrawn.text
        assert (await spy.wait_for("complaint.withdrawn", lambda e: e.complaint_id == early))[0].data["rule"] == "LC-10"

        holder = (await spy.wait_for("complaint.assigned", lambda e: e.complaint_id == late, timeout=15))[0].data[
            "unit"
        ]
        forward = {"type": "forward", "at": "2026-05-06T10:00:00+08:00", "by": holder, "to_unit": units["outlet"]}
        moved = await api["routing"].post(f"/v1/cases/{late}/actions", json=forward)
        assert moved.status_code == 202, moved.text
        # at once, as a client would: intake catches up with the transfer before deciding
        refused = await api["intake"].post(
            f"/v1/complaints/{late}/withdrawal", json={"requested_at": "2026-05-06T11:00:00+08:00"}
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["rule"] == "LC-10"
        forwarded = (await spy.wait_for("complaint.forwarded", lambda e: e.complaint_id == late))[0]
        assert forwarded.data["transfer"] is True
        event = (await spy.wait_for("complaint.withdrawal_refused", lambda e: e.complaint_id == late))[0]
        assert event.data["refusal_reason"] == "transferred"
        assert event.data["transferred_at"] == "2026-05-06T10:00:00+08:00"


async def test_rcn02_as06_reconsideration_after_routings_reply_inside_the_window_and_rejected_late(
    platform: Platform, api: dict[str, httpx.AsyncClient], amqp_url: str
) -> None:
    regime = "credit-union-province"
    units = await world(api, f"as06-{uuid.uuid4().hex[:5]}", regime)
    await api["intake"].put("/admin/clock", json={"now": "2026-06-02T16:05:00+08:00"})
    body = complaint(regime, units["outlet"], category="fees", received_at="2026-06-01T10:00:00+08:00")
    async with EventSpy(amqp_url, f"*.*.{units['root']}") as spy:
        ids = [(await post(api, body)).json()["id"] for _ in "ab"]
        for complaint_id in ids:
            holder = (await spy.wait_for("complaint.assigned", lambda e, c=complaint_id: e.complaint_id == c))[0]
            reply = {
                "type": "reply_customer",
                "at": "2026-06-02T16:00:00+08:00",
                "by": holder.data["unit"],
                "method": "phone",
                "reconsideration_notice": True,
            }
            answered = await api["routing"].post(f"/v1/cases/{complaint_id}/actions", json=reply)
            assert answered.status_code == 202, answered.text
        # at once, as a client would: filed on 06-16 inside the 15 calendar days (CONV-05) ...
        filed = await api["intake"].post(
            f"/v1/complaints/{ids[0]}/reconsideration",
            json={"requested_at": "2026-06-16T10:00:00+08:00", "lodged_with": units["root"]},
        )
        assert filed.status_code == 201, filed.text
        assert filed.json()["window_closes_at"] == "2026-06-17T23:59:59+08:00"
        requested = (await spy.wait_for("reconsideration.requested"))[0]
        assert requested.data["lodged_with"] == units["root"]
        # ... and on 06-18, too late
        late = await api["intake"].post(
            f"/v1/complaints/{ids[1]}/reconsideration",
            json={"requested_at": "2026-06-18T09:00:00+08:00", "lodged_with": units["root"]},
        )
        assert late.status_code == 422, late.text
        rejected = (await spy.wait_for("reconsideration.rejected_late"))[0]
        assert rejected.complaint_id == ids[1]
        assert rejected.data["window_closed_at"] == "2026-06-17T23:59:59+08:00"
