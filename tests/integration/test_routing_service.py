"""Routing alone against the real broker and database: its HTTP API, the `case.act` ingress, and intake's and sla's
facts (`complaint.received`, `sla.breached`, ...) published on the bus as those services publish them. The demo
organisation trees are loaded under ids of this module's own (`ri-`)."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import orjson
import pytest
import yaml

from tests.integration.conftest import InProcessService, in_process
from tousu.contracts.topology import CASE_ACT_KEY, INGRESS_EXCHANGE, ingress_queue, parking_queue
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy
from tousu.routing.entrypoints.app import create_app

pytestmark = pytest.mark.integration

P = "ri-"
DEMO = Path(__file__).resolve().parents[2] / "deploy" / "demo" / "orgs.yaml"


def prefixed(org: dict[str, Any]) -> dict[str, Any]:
    out = dict(org)
    for key in ("id", "parent", "superior", "tenant"):
        if out.get(key):
            out[key] = P + out[key]
    out["ingress_users"] = [{**u, "user": P + u["user"]} for u in out.get("ingress_users", [])]
    return out


class Routing(InProcessService):
    """The routing service in-process, its HTTP client, and a publisher standing in for intake and sla."""

    async def received(self, regime: str, receiving: str, respondent: str | None = None, **extra: Any) -> str:
        """A complaint.received as intake emits it; returns the complaint id."""
        complaint_id = str(uuid.uuid4())
        data: dict[str, Any] = {
            "complaint_id": complaint_id,
            "reference": f"RI-2026-{complaint_id[:6]}",
            "regime": regime,
            "policy_version": "2026.1",
            "occurred_at": "2026-04-08T10:00:00+08:00",
            "received_at": "2026-04-08T10:00:00+08:00",
            "receiving_unit": P + receiving,
            "channel": "phone",
            "kind": "complaint",
            "category": "service_attitude",
            "priority": "ordinary",
            "respondent_unit": P + (respondent or receiving),
            "flags": {},
            "classification": {"validity": "valid", "scope": "in_scope", "major": False},
            **extra,
        }
        await self.publish("complaint.received", P + "tenant", data)
        return complaint_id

    async def case(self, complaint_id: str) -> dict[str, Any]:
        async def known() -> dict[str, Any] | None:
            response = await self.http.get(f"/v1/cases/{complaint_id}", headers=self.as_("platform"))
            return response.json() if response.status_code == 200 else None

        return await eventually(known, timeout=10)

    async def act(self, complaint_id: str, org: str = "platform", role: str = "admin", **body: Any) -> httpx.Response:
        return await self.http.post(f"/v1/cases/{complaint_id}/actions", json=body, headers=self.as_(org, role))


@pytest.fixture(scope="module")
async def routing(postgres_url: str) -> AsyncIterator[Routing]:
    async with in_process(Routing, "routing", create_app, postgres_url) as service:
        orgs = [prefixed(o) for o in yaml.safe_load(DEMO.read_text(encoding="utf-8"))["orgs"]]
        # The amqp user itself stands in for a CRM that acts for the tobacco monitoring centre.
        for org in orgs:
            if org["id"] == P + "tb-monitoring":
                org["ingress_users"] = [{"user": "guest", "roles": ["handler"]}]
            response = await service.http.put(f"/v1/orgs/{org['id']}", json=org, headers=service.as_("platform"))
            assert response.status_code == 200, response.text
        yield service


async def test_contract2_the_registry_refuses_a_cycle_and_unknown_regimes_and_publishes_changes(
    routing: Routing,
) -> None:
    admin = routing.as_("platform")
    org = (await routing.http.get(f"/v1/orgs/{P}cu-province", headers=admin)).json()
    looped = await routing.http.put(
        f"/v1/orgs/{P}cu-province", json={**org, "parent": f"{P}cu-county-a"}, headers=admin
    )
    assert looped.status_code == 422
    assert looped.json()["errors"][0]["field"] == "parent"
    unknown = await routing.http.put(f"/v1/orgs/{P}cu-province", json={**org, "regimes": ["no-such"]}, headers=admin)
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "regimes")
    denied = await routing.http.put(
        f"/v1/orgs/{P}cu-province", json=org, headers=routing.as_(P + "cu-province", "supervisor")
    )
    assert denied.status_code == 403
    async with EventSpy(routing.amqp_url, f"org.updated.{P}cu-province") as spy:
        renamed = await routing.http.put(
            f"/v1/orgs/{P}cu-province", json={**org, "name": "省联社(更名)"}, headers=admin
        )
        assert renamed.status_code == 200
        updated = (await spy.wait_for("org.updated", lambda e: e.data["org_id"] == P + "cu-province"))[0]
        assert updated.data["version"] == 2
        assert "name" not in updated.data["org"]["handlers"][0]  # handler names stay in routing


async def test_contract5_visibility_and_time_are_checked_before_any_state_change(routing: Routing) -> None:
    complaint_id = await routing.received("credit-union-province", "cu-county-a-outlet-1", authority="outlet")
    assert (await routing.case(complaint_id))["owner_unit"] == P + "cu-county-a-outlet-1"
    action = {"type": "acknowledge", "at": "2026-04-08T10:05:00+08:00", "by": P + "cu-county-a-outlet-1"}
    # another organisation's case: 404; a unit the caller may not act for: 403; the future: 422
    assert (await routing.act(complaint_id, P + "ft-soochow", "handler", **action)).status_code == 404
    outlet2 = {**action, "by": P + "cu-county-a-outlet-2"}
    assert (await routing.act(complaint_id, P + "cu-county-a-outlet-1", "handler", **outlet2)).status_code == 403
    future = await routing.act(
        complaint_id, P + "cu-county-a", "handler", **{**action, "at": "2099-01-01T00:00:00+08:00"}
    )
    assert (future.status_code, future.json()["errors"][0]["field"]) == (422, "at")
    assert (await routing.act(complaint_id, P + "cu-county-a", "auditor", **action)).status_code == 403
    ok = await routing.act(complaint_id, P + "cu-county-a", "handler", **action)
    assert ok.status_code == 202, ok.text
    assert ok.json()["events"][0]["type"] == "complaint.acknowledged"
    again = await routing.act(complaint_id, P + "cu-county-a", "handler", **action)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "already acknowledged" in again.json()["title"]
    typo = await routing.act(complaint_id, **{**action, "type": "acknowlege"})
    assert (typo.status_code, typo.json()["errors"][0]["field"]) == (422, "type")


async def test_contract9_case_act_ingress_is_answered_and_an_invalid_command_answered_and_parked(
    routing: Routing,
) -> None:
    complaint_id = await routing.received("tobacco-bureau", "tb-monitoring", "tb-county-xinmin")
    await routing.case(complaint_id)
    exchange = await routing.channel.get_exchange(INGRESS_EXCHANGE)
    replies = await routing.channel.declare_queue(exclusive=True)
    forward = {
        "complaint_id": complaint_id,
        "type": "forward",
        "at": "2026-04-08T10:30:00+08:00",
        "by": P + "tb-monitoring",
        "to_unit": P + "tb-county-xinmin",
        "method": "email",
    }
    missing = {**forward, "type": "approve", "to_unit": None, "method": None}
    stranger = {**forward, "by": P + "ft-cs-centre"}
    for body, key in ((forward, "act-1"), (missing, "act-2"), (stranger, "act-3")):
        await exchange.publish(
            aio_pika.Message(
                orjson.dumps(body),
                message_id=key,
                user_id="guest",
                reply_to=replies.name,
                correlation_id=key,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            CASE_ACT_KEY,
        )
    answers: dict[str, dict[str, Any]] = {}
    async with replies.iterator(timeout=15) as messages:
        async for message in messages:
            async with message.process():
                answers[str(message.correlation_id)] = orjson.loads(message.body)
            if len(answers) == 3:
                break
    assert (answers["act-1"]["status"], answers["act-1"]["event"]) == (202, "complaint.forwarded")
    assert answers["act-2"]["status"] == 422
    assert {e["field"] for e in answers["act-2"]["errors"]} == {"approved"}
    assert answers["act-3"]["status"] == 403  # the sender's organisation may not act for that unit
    assert (await routing.case(complaint_id))["holder_unit"] == P + "tb-county-xinmin"
    dlq = await routing.channel.get_queue(parking_queue(ingress_queue(CASE_ACT_KEY)))
    parked: set[str] = set()

    async def both_parked() -> bool:
        while (message := await dlq.get(fail=False, no_ack=True)) is not None:
            parked.add(str(message.message_id))
        return {"act-2", "act-3"} <= parked

    await eventually(both_parked, timeout=10)


async def test_org_04_sla_breach_of_the_receipt_window_hands_over_to_b_once_however_often_delivered(
    routing: Routing,
) -> None:
    """A, then B, let the dispatched case lapse (DISPATCH_ACK breached twice): B takes over, then nobody is left
    (SAN-01(1)); each breach is delivered twice (at least once) and has one effect."""
    complaint_id = await routing.received("tobacco-bureau", "tb-monitoring", "tb-county-faku")
    sentinel = await routing.received("tobacco-bureau", "tb-monitoring", "tb-county-xinmin")
    await routing.case(complaint_id)
    await routing.case(sentinel)
    for cid, unit in ((complaint_id, "tb-county-faku"), (sentinel, "tb-county-xinmin")):
        forward = {"type": "forward", "at": "2026-04-08T10:30:00+08:00", "by": P + "tb-monitoring", "to_unit": P + unit}
        assert (await routing.act(cid, **forward)).status_code == 202

    def breach(cid: str, unit: str) -> dict[str, Any]:
        return {
            "complaint_id": cid,
            "regime": "tobacco-bureau",
            "occurred_at": "2026-04-08T14:30:00+08:00",
            "rule": "SLA-26",
            "stage": "DISPATCH_ACK",
            "owner_unit": P + unit,
            "clock": "working_hours",
            "due_at": "2026-04-08T14:30:00+08:00",
            "breached_at": "2026-04-08T14:30:00+08:00",
        }

    async with EventSpy(routing.amqp_url, "complaint.*.*") as spy:
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        for event_id in (first, first, second, second):
            await routing.publish("sla.breached", P + "tenant", breach(complaint_id, "tb-county-faku"), event_id)
        mine = spy_of(complaint_id)
        nobody = (await spy.wait_for("complaint.escalated", mine))[0]
        assert (nobody.data["reason"], nobody.data["target_unit"]) == ("nobody_accepts", P + "tb-city")
        # Delivered after the duplicates on the same queue: once its effect is out, theirs would be too.
        await routing.publish("sla.breached", P + "tenant", breach(sentinel, "tb-county-xinmin"))
        await spy.wait_for(
            "complaint.assigned", lambda e: e.complaint_id == sentinel and e.data["reason"] != "first_owner"
        )
        handed = [e for e in spy.of("complaint.assigned", mine) if e.data["reason"] == "acknowledgement_breached"]
        assert [(e.data["handler"], e.data["handler_role"], e.data["previous_handler"]) for e in handed] == [
            ("tb-faku-b", "B", "tb-faku-a")
        ]
        assert len(spy.of("complaint.escalated", mine)) == 1


def spy_of(complaint_id: str) -> Any:
    return lambda e: e.complaint_id == complaint_id


async def _handler_is(routing: Routing, complaint_id: str, handler: str) -> bool:
    return (await routing.case(complaint_id))["handler"] == handler


async def test_org_04_an_a_handler_going_away_hands_unacknowledged_cases_to_b(routing: Routing) -> None:
    complaint_id = await routing.received("futures-company", "ft-ib-dept", "sec-dongwu")
    assert (await routing.case(complaint_id))["handler"] == "ft-ib-a"
    admin = routing.as_("platform")
    org = (await routing.http.get(f"/v1/orgs/{P}ft-ib-dept", headers=admin)).json()
    handlers = [{**h, "available": h["role"] != "A"} for h in org["handlers"]]
    async with EventSpy(routing.amqp_url, "complaint.assigned.*") as spy:
        assert (
            await routing.http.put(f"/v1/orgs/{P}ft-ib-dept", json={**org, "handlers": handlers}, headers=admin)
        ).status_code == 200
        moved = (await spy.wait_for("complaint.assigned", lambda e: e.complaint_id == complaint_id))[0]
        assert (moved.data["handler"], moved.data["reason"], moved.data["rule"]) == (
            "ft-ib-b",
            "handler_unavailable",
            "ORG-04",
        )
    await routing.http.put(f"/v1/orgs/{P}ft-ib-dept", json=org, headers=admin)


async def test_out_of_order_a_breach_before_its_complaint_is_retried_until_the_case_exists(routing: Routing) -> None:
    complaint_id = str(uuid.uuid4())
    breach = {
        "complaint_id": complaint_id,
        "regime": "credit-union-province",
        "occurred_at": "2026-04-09T00:00:00+08:00",
        "rule": "SLA-10",
        "stage": "OUTLET",
        "owner_unit": P + "cu-county-a-outlet-2",
        "clock": "working_days",
        "due_at": "2026-04-08T23:59:59+08:00",
        "breached_at": "2026-04-09T00:00:00+08:00",
    }
    async with EventSpy(routing.amqp_url, "complaint.escalated.*") as spy:
        await routing.publish("sla.breached", P + "tenant", breach)
        data = {
            "complaint_id": complaint_id,
            "reference": "RI-late",
            "regime": "credit-union-province",
            "policy_version": "2026.1",
            "occurred_at": "2026-04-08T10:00:00+08:00",
            "received_at": "2026-04-08T10:00:00+08:00",
            "receiving_unit": P + "cu-county-a-outlet-2",
            "respondent_unit": P + "cu-county-a-outlet-2",
            "channel": "phone",
            "kind": "complaint",
            "category": "fees",
            "priority": "ordinary",
            "authority": "outlet",
            "flags": {},
            "classification": {"scope": "in_scope"},
        }
        await routing.publish("complaint.received", P + "tenant", data)
        escalated = (await spy.wait_for("complaint.escalated", lambda e: e.complaint_id == complaint_id, timeout=15))[0]
        assert (escalated.data["target_unit"], escalated.data["stage"]) == (P + "cu-county-a", "OUTLET")


async def test_sla_56_an_sis_liaison_contact_change_notified_late_is_referred_to_compliance(routing: Routing) -> None:
    notice = {"change": "liaison contact", "effective_at": "2026-05-11T09:00:00+08:00", "liaison_contact": True}
    async with EventSpy(routing.amqp_url, f"compliance.referred.{P}si-alpha") as spy:
        prompt = await routing.http.post(
            f"/v1/orgs/{P}si-alpha/change-notices",
            json={**notice, "notified_at": "2026-05-11T17:00:00+08:00"},
            headers=routing.as_(P + "si-alpha", "submitter"),
        )
        assert (prompt.status_code, prompt.json()["late"], prompt.json()["rule"]) == (201, False, "SLA-56")
        late = await routing.http.post(
            f"/v1/orgs/{P}si-alpha/change-notices",
            json={**notice, "notified_at": "2026-05-13T09:00:00+08:00"},
            headers=routing.as_(P + "si-alpha", "submitter"),
        )
        assert (late.status_code, late.json()["late"], late.json()["required_by"]) == (
            201,
            True,
            "2026-05-12T09:00:00+08:00",
        )
        referred = (await spy.wait_for("compliance.referred", lambda e: e.data.get("source") == "change_notice"))[0]
        assert (referred.data["org"], referred.data["to_unit"], referred.data["rule"]) == (
            P + "si-alpha",
            P + "cmcc-hn-group",
            "SLA-56",
        )


async def test_sla_54_a_late_change_notice_is_referred_to_compliance(routing: Routing) -> None:
    notice = {"change": "customer-service phone number", "effective_at": "2026-06-01T00:00:00+08:00"}
    async with EventSpy(routing.amqp_url, f"compliance.referred.{P}si-alpha") as spy:
        in_time = await routing.http.post(
            f"/v1/orgs/{P}si-alpha/change-notices",
            json={**notice, "notified_at": "2026-05-11T09:00:00+08:00"},
            headers=routing.as_(P + "si-alpha", "submitter"),
        )
        assert (in_time.status_code, in_time.json()["late"]) == (201, False)
        late = await routing.http.post(
            f"/v1/orgs/{P}si-alpha/change-notices",
            json={**notice, "notified_at": "2026-05-20T09:00:00+08:00"},
            headers=routing.as_(P + "si-alpha", "submitter"),
        )
        assert (late.status_code, late.json()["late"], late.json()["rule"]) == (201, True, "SLA-54")
        referred = (await spy.wait_for("compliance.referred", lambda e: e.data.get("source") == "change_notice"))[0]
        assert (referred.data["org"], referred.data["to_unit"], referred.data["rule"]) == (
            P + "si-alpha",
            P + "cmcc-hn-group",
            "SLA-54",
        )
        assert len(spy.events) == 1
    other = await routing.http.post(
        f"/v1/orgs/{P}si-alpha/change-notices",
        json={**notice, "notified_at": "2026-05-20T09:00:00+08:00"},
        headers=routing.as_(P + "tb-city", "submitter"),
    )
    assert other.status_code == 404
