"""Routing end to end, through CONTRACT only: the demo organisation trees (ids prefixed `rt-` so no other test
shares them), complaints posted to intake, actions posted to routing, clocks read from sla, escalations received
by an integration's own plain AMQP consumer.
"""

import asyncio
import contextlib
import json
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import aio_pika
import httpx
import pytest
import yaml

from tests.e2e.tc2026 import TC_2026
from tousu.contracts.envelope import CloudEvent
from tousu.kit.platform import Platform
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.e2e

P = "rt-"
DEMO = Path(__file__).resolve().parents[2] / "deploy" / "demo" / "orgs.yaml"
Api = dict[str, httpx.AsyncClient]


def prefixed(org: dict[str, Any]) -> dict[str, Any]:
    """A demo organisation under this module's own ids and tenants."""
    out = dict(org)
    for key in ("id", "parent", "superior", "tenant"):
        if out.get(key):
            out[key] = P + out[key]
    out["ingress_users"] = [{**u, "user": P + u["user"]} for u in out.get("ingress_users", [])]
    return out


@pytest.fixture(scope="module")
async def world(platform: Platform, admin_token: str) -> AsyncIterator[Api]:
    """The demo trees loaded once for this module; the TC-2026 calendar loaded into sla."""
    orgs = [prefixed(o) for o in yaml.safe_load(DEMO.read_text(encoding="utf-8"))["orgs"]]
    clients = {
        s: httpx.AsyncClient(base_url=platform.url(s), headers={"Authorization": f"Bearer {admin_token}"}, timeout=15)
        for s in ("intake", "routing", "sla", "reporting")
    }
    depth = {o["id"]: 0 for o in orgs}
    for org in orgs:  # the file lists parents before children
        depth[org["id"]] = depth[org["parent"]] + 1 if org.get("parent") else 0
    gate = asyncio.Semaphore(8)

    async def put(org: dict[str, Any]) -> None:
        async with gate:
            response = await clients["routing"].put(f"/v1/orgs/{org['id']}", json=org)
        assert response.status_code == 200, response.text

    for level in sorted(set(depth.values())):
        await asyncio.gather(*(put(o) for o in orgs if depth[o["id"]] == level))
    assert (await clients["sla"].put("/v1/calendars/2026", json=TC_2026)).status_code == 200

    async def replicated() -> bool:
        probe = await clients["intake"].post(
            "/v1/complaints",
            json={"regime": "no-such-regime", "receiving_unit": orgs[-1]["id"], "respondent": {"unit": orgs[-1]["id"]}},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        return "unknown organisation" not in probe.text

    await eventually(replicated, timeout=15)
    yield clients
    for client in clients.values():
        await client.aclose()


async def clock(api: Api, now: str) -> None:
    assert (await api["routing"].put("/admin/clock", json={"now": now})).status_code == 200


async def submit(api: Api, **fields: Any) -> str:
    """A complaint posted to intake (each from a complainant of its own: no repeat is detected)."""
    body = {
        "received_at": "2026-04-07T15:00:00+08:00",
        "receiver_staff": "emp-1",
        "channel": "phone",
        "kind": "complaint",
        "complainant": {"name": "张三", "phone": f"139{uuid.uuid4().int % 10**8:08d}", "standing": "direct"},
        "category": "service_attitude",
        "facts": "The teller refused to exchange damaged notes.",
        "demand": "Exchange the notes.",
        **fields,
    }
    response = await api["intake"].post("/v1/complaints", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.text
    complaint_id: str = response.json()["id"]
    return complaint_id


async def case(api: Api, complaint_id: str) -> dict[str, Any]:
    async def known() -> dict[str, Any] | None:
        response = await api["routing"].get(f"/v1/cases/{complaint_id}")
        return response.json() if response.status_code == 200 else None

    return await eventually(known, timeout=10)


async def act(api: Api, complaint_id: str, type_: str, at: str, by: str, expect: int = 202, **fields: Any) -> Any:
    body = {"type": type_, "at": at, "by": P + by, **fields}
    response = await api["routing"].post(f"/v1/cases/{complaint_id}/actions", json=body)
    assert response.status_code == expect, response.text
    return response.json()


async def clocks(api: Api, complaint_id: str, *stages: str) -> dict[str, dict[str, Any]]:
    async def started() -> dict[str, dict[str, Any]] | None:
        response = await api["sla"].get(f"/v1/complaints/{complaint_id}/clocks")
        found = {c["stage"]: c for c in response.json()} if response.status_code == 200 else {}
        return found if set(stages) <= set(found) else None

    return await eventually(started, timeout=10)


def of(spy: EventSpy, complaint_id: str) -> Callable[[CloudEvent], bool]:
    return lambda e: e.complaint_id == complaint_id


class Subscriber:
    """An integration's own consumer: a plain aio-pika queue bound to `complaint.escalated.*` (CONTRACT §9)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.bodies: list[tuple[str | None, bytes]] = []

    async def __aenter__(self) -> "Subscriber":
        self.connection = await aio_pika.connect_robust(self.url)
        channel = await self.connection.channel()
        exchange = await channel.get_exchange("tousu.events")
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="complaint.escalated.*")
        await queue.consume(self._take, no_ack=True)
        return self

    async def _take(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        self.bodies.append((message.message_id, message.body))

    async def __aexit__(self, *_: object) -> None:
        await self.connection.close()

    def escalations(self, complaint_ids: set[str]) -> list[dict[str, Any]]:
        found = []
        for message_id, body in self.bodies:
            event = json.loads(body)
            if event["data"].get("complaint_id") in complaint_ids:
                assert message_id == event["id"]
                found.append(event)
        return found


async def test_as_09_rte_09_san_36_rcn_09_credit_union_unreachable_outlet_then_the_repeat_goes_up(
    world: Api, amqp_url: str
) -> None:
    """AS-09: the complaint is with outlet X from 2026-03-02; the 县联社 fails to reach X's staff on 03-03 and 03-04
    (RTE-09); the customer complains again through 96668 on 03-04 → intake's repeat {cause unreachable} (SAN-36),
    and routing escalates the repeat one step above the outlet."""
    api = world
    outlet, county = P + "cu-county-a-outlet-2", P + "cu-county-a"
    complainant = {"name": "钱七", "phone": f"137{uuid.uuid4().int % 10**8:08d}", "standing": "direct"}
    complaint = {
        "regime": "credit-union-province",
        "respondent": {"unit": outlet, "staff": ["teller-sun"]},
        "category": "service_attitude",
        "complainant": complainant,
        "authority": "outlet",
    }
    await clock(api, "2026-03-04T12:00:00+08:00")
    async with EventSpy(amqp_url) as spy:
        first = await submit(api, **complaint, received_at="2026-03-02T09:00:00+08:00", receiving_unit=county)
        assert (await case(api, first))["holder_unit"] == outlet
        for day in ("03", "04"):
            await act(
                api,
                first,
                "record_contact_attempt",
                f"2026-03-{day}T10:00:00+08:00",
                "cu-county-a",
                reached=False,
                party="unit",
                target_unit=outlet,
            )
        attempts = await spy.wait_for("complaint.customer_contact_attempted", of(spy, first), count=2)
        assert {(e.data["party"], e.data["target_unit"], e.data["reached"]) for e in attempts} == {
            ("unit", outlet, False)
        }
        again = await submit(
            api,
            **complaint,
            received_at="2026-03-04T11:00:00+08:00",
            receiving_unit=P + "cu-province",
            channel="hotline",
            parent_complaint_id=first,
        )
        repeat = (await spy.wait_for("complaint.repeat_detected", of(spy, again)))[0]
        assert (repeat.data["cause"], repeat.data["parent_complaint_id"]) == ("unreachable", first)
        escalated = (await spy.wait_for("complaint.escalated", of(spy, again)))[0]
        assert (escalated.data["reason"], escalated.data["owner_unit"], escalated.data["target_unit"]) == (
            "repeated_complaint",
            outlet,
            county,
        )


async def test_as_02_rte_01_rte_02_rte_03_liaoning_ladder_and_every_escalation_once_to_a_plain_subscriber(
    world: Api, amqp_url: str
) -> None:
    """AS-02: association → member complaint dept → outlet; case (b) the outlet's progress report moves its due,
    case (c) its breach goes to the member's complaint dept; the member's late report goes up too."""
    api = world
    async with EventSpy(amqp_url) as spy, Subscriber(amqp_url) as subscriber:
        await clock(api, "2026-04-07T15:01:00+08:00")
        complaint = {
            "regime": "liaoning-banking-association",
            "receiving_unit": P + "ln-assoc",
            "respondent": {"unit": P + "ln-icbc-sy-heping", "staff": ["teller-wang"]},
        }
        late, promised = await submit(api, **complaint), await submit(api, **complaint)
        for cid in (late, promised):
            opened = await case(api, cid)
            assert (opened["owner_unit"], opened["handler"]) == (P + "ln-assoc", "ln-assoc-a")

        await clock(api, "2026-04-08T10:00:30+08:00")
        for cid in (late, promised):
            outcome = await act(
                api, cid, "forward", "2026-04-08T10:00:00+08:00", "ln-assoc", to_unit=P + "ln-icbc-complaints"
            )
            assert outcome["event"] == "complaint.forwarded"
        forwarded = (await spy.wait_for("complaint.forwarded", of(spy, late)))[0]
        assert (forwarded.data["transfer"], forwarded.data["from_kind"], forwarded.routing_key) == (
            True,
            "association",
            f"complaint.forwarded.{P}ln-icbc",
        )
        member = await clocks(api, late, "VERIFY", "MEMBER_REPORT")
        assert member["VERIFY"]["due_at"] == "2026-04-10T23:59:59+08:00"
        assert member["MEMBER_REPORT"]["due_at"] == "2026-04-15T23:59:59+08:00"
        assert member["VERIFY"]["owner_unit"] == P + "ln-icbc-complaints"

        await clock(api, "2026-04-09T09:00:30+08:00")
        for cid in (late, promised):
            await act(api, cid, "verify", "2026-04-09T08:00:00+08:00", "ln-icbc-complaints", valid=True)
            await act(
                api, cid, "forward", "2026-04-09T09:00:00+08:00", "ln-icbc-complaints", to_unit=P + "ln-icbc-sy-heping"
            )
        outlet = await clocks(api, late, "OUTLET_RESULT")
        assert outlet["OUTLET_RESULT"]["due_at"] == "2026-04-14T23:59:59+08:00"

        # Hierarchy work lists: the member bank and the association above it see the case at the outlet.
        listed = (await api["routing"].get(f"/v1/units/{P}ln-icbc/cases", params={"status": "open"})).json()
        mine = {c["complaint_id"]: c for c in listed if c["complaint_id"] in (late, promised)}
        assert {c["holder_unit"] for c in mine.values()} == {P + "ln-icbc-sy-heping"}
        assert all(c["held_here"] for c in mine.values())
        above = (await api["routing"].get(f"/v1/units/{P}ln-assoc/cases")).json()
        assert {late, promised} <= {c["complaint_id"] for c in above if c["held_here"]}
        beside = (await api["routing"].get(f"/v1/units/{P}ln-boc/cases")).json()
        assert not {late, promised} & {c["complaint_id"] for c in beside}

        await clock(api, "2026-04-14T16:00:30+08:00")
        await act(
            api,
            promised,
            "report_progress",
            "2026-04-14T16:00:00+08:00",
            "ln-icbc-sy-heping",
            promised_reply_at="2026-04-17T17:00:00+08:00",
            customer_informed=True,
        )
        extended = (await spy.wait_for("sla.extended", of(spy, promised)))[0]
        assert (extended.data["stage"], extended.data["due_at"]) == ("OUTLET_RESULT", "2026-04-17T17:00:00+08:00")

        await clock(api, "2026-04-16T00:00:05+08:00")
        escalated = await spy.wait_for("complaint.escalated", lambda e: e.complaint_id in (late, promised), count=3)
        by_stage = {(e.complaint_id, e.data["stage"]): e.data for e in escalated}
        assert set(by_stage) == {(late, "OUTLET_RESULT"), (late, "MEMBER_REPORT"), (promised, "MEMBER_REPORT")}
        outlet_breach = by_stage[(late, "OUTLET_RESULT")]
        assert {
            k: outlet_breach[k] for k in ("owner_unit", "target_unit", "level", "due_at", "breached_at", "reason")
        } == {
            "owner_unit": P + "ln-icbc-sy-heping",
            "target_unit": P + "ln-icbc-complaints",
            "level": 1,
            "due_at": "2026-04-14T23:59:59+08:00",
            "breached_at": "2026-04-15T00:00:00+08:00",
            "reason": "sla_breached",
        }
        assert by_stage[(promised, "MEMBER_REPORT")]["target_unit"] == P + "ln-icbc"

        # Every escalation reached the integration's own queue once, as CloudEvents structured JSON.
        async def drained() -> list[dict[str, Any]] | None:
            found = subscriber.escalations({late, promised})
            return found if len(found) >= 3 else None

        delivered = await eventually(drained, timeout=10)
        await eventually(lambda: _on_timeline(api, late, "complaint.escalated", 2), timeout=10)
        await asyncio.sleep(0)  # let a duplicate, were there one, be taken from the socket
        delivered = subscriber.escalations({late, promised})
        assert len(delivered) == 3
        assert len({e["id"] for e in delivered}) == 3
        for event in delivered:
            CloudEvent.model_validate(event)
            assert (event["specversion"], event["type"], event["datacontenttype"]) == (
                "1.0",
                "complaint.escalated",
                "application/json",
            )
            wanted = {
                "complaint_id",
                "reference",
                "regime",
                "stage",
                "owner_unit",
                "due_at",
                "breached_at",
                "level",
                "target_unit",
                "reason",
                "rule",
                "occurred_at",
            }
            assert wanted <= set(event["data"])


async def _on_timeline(api: Api, complaint_id: str, type_: str, count: int) -> bool:
    response = await api["reporting"].get(f"/v1/complaints/{complaint_id}/timeline")
    return response.status_code == 200 and [e["type"] for e in response.json()["events"]].count(type_) >= count


async def test_as_22_rte_33_rte_35_lc_10_insurer_online_transfer_major_copies_and_no_withdrawal_after_transfer(
    world: Api, amqp_url: str
) -> None:
    """AS-22 (e): an online transfer only after 15 minutes on the line; (f) a major letter complaint at a branch
    is copied to the department manager and the 分管总; LC-10: once transferred, the complaint cannot be withdrawn."""
    api = world
    async with EventSpy(amqp_url) as spy:
        await clock(api, "2026-05-06T10:00:00+08:00")
        call = await submit(
            api,
            regime="insurer-95511",
            received_at="2026-05-06T09:30:00+08:00",
            receiving_unit=P + "ins-pc-95511",
            respondent={"unit": P + "ins-pc-sz-claims"},
            category="claims",
        )
        await case(api, call)
        early = await act(
            api,
            call,
            "forward",
            "2026-05-06T09:44:59+08:00",
            "ins-pc-95511",
            expect=422,
            online_transfer_after_minutes=14,
        )
        assert (early["errors"][0]["field"], early["errors"][0]["rule"]) == ("online_transfer_after_minutes", "SLA-62")
        await act(api, call, "forward", "2026-05-06T09:45:00+08:00", "ins-pc-95511", online_transfer_after_minutes=15)
        forwarded = (await spy.wait_for("complaint.forwarded", of(spy, call)))[0]
        assert (forwarded.data["to_unit"], forwarded.data["transfer"]) == (P + "ins-pc-sz-claims", True)

        async def refused() -> httpx.Response | None:
            response = await api["intake"].post(
                f"/v1/complaints/{call}/withdrawal", json={"requested_at": "2026-05-06T09:50:00+08:00"}
            )
            return response if response.status_code == 409 else None

        assert (await eventually(refused, timeout=10)).status_code == 409

        letter = await submit(
            api,
            regime="insurer-95511",
            received_at="2026-05-06T09:40:00+08:00",
            channel="letter",
            priority="major",
            receiving_unit=P + "ins-pc-sz-cs",
            respondent={"unit": P + "ins-pc-sz-claims"},
            category="claims",
        )
        assigned = (await spy.wait_for("complaint.assigned", of(spy, letter)))[0]
        assert (assigned.data["accountable_unit"], assigned.data["owner_role"]) == (
            P + "ins-pc-exec",
            "executive-in-charge",
        )
        copied = (await spy.wait_for("complaint.escalated", of(spy, letter)))[0]
        assert (copied.data["reason"], copied.data["target_unit"], copied.data["cc_units"], copied.data["rule"]) == (
            "major_complaint",
            P + "ins-pc-exec",
            [P + "ins-pc-sz-cs-manager"],
            "RTE-35",
        )


async def test_as_14_cb_05_rte_26_rte_27_org_40_mobile_dispatch_replies_by_ingress_and_back_to_the_si(
    world: Api, amqp_url: str
) -> None:
    """AS-14: T1 urgent (24 h), T2 difficult (72 h) dispatched to SI Alpha; the SI may not hand them back (RTE-27);
    it replies through `case.act` with its own RabbitMQ user; a dissatisfied callback sends T1 back to the SI;
    T2's silence is escalated; 10086 keeps seeing both (首問負責制)."""
    api = world
    dispatch = "2026-05-08T14:00:00+08:00"
    await clock(api, "2026-05-08T14:00:30+08:00")
    ticket = {
        "regime": "mobile-operator-si",
        "received_at": "2026-05-08T13:50:00+08:00",
        "receiving_unit": P + "cmcc-hn-10086",
        "respondent": {"unit": P + "si-alpha"},
        "category": "si_application",
    }
    async with EventSpy(amqp_url) as spy, ingress_user(amqp_url, P + "si-alpha-cs") as si:
        t1, t2 = await submit(api, **ticket, priority="urgent"), await submit(api, **ticket, priority="difficult")
        for cid in (t1, t2):
            await case(api, cid)
            await act(api, cid, "forward", dispatch, "cmcc-hn-10086", to_unit=P + "si-alpha", method="e_work_order")
        due = {stage: c["due_at"] for stage, c in (await clocks(api, t1, "URGENT_REPLY")).items()}
        assert due["URGENT_REPLY"] == "2026-05-09T14:00:00+08:00"
        assert (await clocks(api, t2, "DIFFICULT_REPLY"))["DIFFICULT_REPLY"]["due_at"] == "2026-05-11T14:00:00+08:00"
        shifted = await act(api, t1, "forward", dispatch, "si-alpha", expect=422, to_unit=P + "cmcc-hn-10086")
        assert (shifted["errors"][0]["field"], shifted["errors"][0]["rule"]) == ("to_unit", "RTE-27")

        await clock(api, "2026-05-09T10:00:30+08:00")
        answer = await si.act(
            {
                "complaint_id": t1,
                "type": "reply_customer",
                "at": "2026-05-09T10:00:00+08:00",
                "by": P + "si-alpha",
                "method": "phone",
            }
        )
        assert (answer["status"], answer["event"]) == (202, "complaint.replied")
        met = (await spy.wait_for("sla.met", lambda e: e.complaint_id == t1 and e.data["stage"] == "URGENT_REPLY"))[0]
        assert met.data["stopped_at"] == "2026-05-09T10:00:00+08:00"
        await clock(api, "2026-05-09T10:30:30+08:00")
        await act(api, t1, "record_callback", "2026-05-09T10:30:00+08:00", "cmcc-hn-10086", satisfied=False)
        back = (await spy.wait_for("complaint.redispatched", of(spy, t1)))[0]
        assert (back.data["to_unit"], back.data["dispatch_number"], back.data["reason"]) == (
            P + "si-alpha",
            2,
            "callback_dissatisfied",
        )

        async def second_round() -> bool:  # the returned ticket is a new round of 24 h (SLA-40)
            response = await api["sla"].get(f"/v1/complaints/{t1}/clocks")
            rounds = [c["due_at"] for c in response.json() if c["stage"] == "URGENT_REPLY"]
            return "2026-05-10T10:30:00+08:00" in rounds

        await eventually(second_round, timeout=10)

        await clock(api, "2026-05-11T14:00:05+08:00")
        silence = (await spy.wait_for("complaint.escalated", lambda e: e.complaint_id == t2, timeout=15))[0]
        assert (silence.data["stage"], silence.data["owner_unit"], silence.data["target_unit"]) == (
            "DIFFICULT_REPLY",
            P + "si-alpha",
            P + "cmcc-hn-adc-cs",
        )
        listed = (await api["routing"].get(f"/v1/units/{P}cmcc-hn-10086/cases", params={"status": "open"})).json()
        both = {c["complaint_id"]: c for c in listed if c["complaint_id"] in (t1, t2)}
        assert {c["owner_unit"] for c in both.values()} == {P + "cmcc-hn-10086"}
        assert not any(c["held_here"] for c in both.values())


class IngressUser:
    """An integration publishing `case.act` to `tousu.ingress` as its own RabbitMQ user (CONTRACT §9)."""

    def __init__(self, connection: aio_pika.abc.AbstractRobustConnection, user: str) -> None:
        self.connection, self.user = connection, user

    async def act(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = await self.connection.channel()
        replies = await channel.declare_queue(exclusive=True)
        exchange = await channel.get_exchange("tousu.ingress")
        key = str(uuid.uuid4())
        message = aio_pika.Message(
            json.dumps(body).encode(),
            message_id=key,
            user_id=self.user,
            reply_to=replies.name,
            correlation_id=key,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await exchange.publish(message, "case.act")
        async with replies.iterator(timeout=15) as messages:
            async for reply in messages:
                await reply.ack()
                answer: dict[str, Any] = json.loads(reply.body)
                await channel.close()
                return answer
        raise AssertionError("no reply")


async def rabbitmqctl(*args: str, check: bool = True) -> None:
    await asyncio.to_thread(subprocess.run, ["rabbitmqctl", "-q", *args], check=check, capture_output=True)


@contextlib.asynccontextmanager
async def ingress_user(amqp_url: str, user: str) -> AsyncIterator[IngressUser]:
    """A RabbitMQ user of its own on this run's vhost (rabbitmqctl, as the test fixtures create vhosts), allowed
    to publish to `tousu.ingress` and to read its own reply queue."""
    parts = urlsplit(amqp_url)
    vhost = unquote(parts.path.lstrip("/"))
    password = uuid.uuid4().hex
    await rabbitmqctl("add_user", user, password)
    try:
        await rabbitmqctl(
            "set_permissions",
            "-p",
            vhost,
            user,
            "^amq(\\.gen|_).*",
            "^(tousu\\.ingress|amq(\\.gen|_).*)$",
            "^amq(\\.gen|_).*",
        )
        url = urlunsplit(parts._replace(netloc=f"{quote(user)}:{password}@{parts.hostname}:{parts.port or 5672}"))
        connection = await aio_pika.connect_robust(url)
        async with connection:
            yield IngressUser(connection, user)
    finally:
        await rabbitmqctl("delete_user", user, check=False)


async def test_as_07_as_10_cb_01_rte_08_rcn_01_credit_union_callbacks_referral_and_replies(
    world: Api, amqp_url: str
) -> None:
    """AS-07: 7 closures under 县联社 A → 7 callbacks by the complained outlets, ceil(30 %) = 3 by the 县联社; a
    dissatisfied non-responsibility case is archived as such. AS-10 (d): a staff violation is referred to the
    same-level 监察保卫部门, no case. RCN-01: a reply names its method and the reconsideration notice."""
    api = world
    county = P + "cu-county-a"
    outlets = [P + f"cu-county-a-outlet-{n}" for n in (1, 2, 3)]
    await clock(api, "2026-06-30T18:00:00+08:00")
    async with EventSpy(amqp_url) as spy:
        ids = [
            await submit(
                api,
                regime="credit-union-province",
                received_at=f"2026-06-{day:02d}T10:00:00+08:00",
                receiving_unit=outlets[n % 3],
                respondent={"unit": outlets[n % 3], "staff": ["teller-li"]},
                category="fees",
                facts="A 2-yuan SMS fee was charged without notice.",
                authority="outlet",
            )
            for n, day in enumerate((1, 2, 3, 4, 8, 9, 10))
        ]
        for n, cid in enumerate(ids):
            await case(api, cid)
            outlet, day = outlets[n % 3], (1, 2, 3, 4, 8, 9, 10)[n]
            if n == 0:
                missing = await act(
                    api,
                    cid,
                    "reply_customer",
                    f"2026-06-{day:02d}T11:00:00+08:00",
                    outlet.removeprefix(P),
                    expect=422,
                    reconsideration_notice=True,
                )
                assert [(e["field"], e["rule"]) for e in missing["errors"]] == [("method", "RCN-01")]
            await act(
                api,
                cid,
                "reply_customer",
                f"2026-06-{day:02d}T11:00:00+08:00",
                outlet.removeprefix(P),
                method="phone",
                reconsideration_notice=True,
            )
            if n == 6:
                await act(
                    api,
                    cid,
                    "record_callback",
                    f"2026-06-{day:02d}T14:00:00+08:00",
                    county.removeprefix(P),
                    satisfied=False,
                )
                await act(
                    api,
                    cid,
                    "close",
                    f"2026-06-{day:02d}T15:00:00+08:00",
                    county.removeprefix(P),
                    archive_class="客户投诉处理不满意",
                )
            else:
                await act(api, cid, "close", f"2026-06-{day:02d}T15:00:00+08:00", outlet.removeprefix(P))
        mine = lambda e: e.complaint_id in ids  # noqa: E731
        required = await spy.wait_for("callback.required", mine, count=10)
        by_outlets = [e for e in required if e.data["by_unit"] in outlets]
        by_county = [e for e in required if e.data["by_unit"] == county]
        assert (len(by_outlets), len(by_county)) == (7, 3)
        assert all(not e.data["sample"] and e.data["rule"] == "CB-01" for e in by_outlets)
        assert all(e.data["sample"] for e in by_county)
        assert sorted(ids.index(e.complaint_id) for e in by_county) == [0, 3, 6]  # closures 1, 4, 7 keep ≥ 30 %
        closed = (await spy.wait_for("complaint.closed", lambda e: e.complaint_id == ids[6]))[0]
        assert (closed.data["archive_class"], closed.data["satisfied"]) == ("客户投诉处理不满意", False)

        embezzled = await submit(
            api,
            regime="credit-union-province",
            received_at="2026-06-15T10:00:00+08:00",
            receiving_unit=outlets[2],
            respondent={"unit": outlets[2], "staff": ["teller-qian"]},
            category="staff_violation",
            facts="The teller embezzled deposits.",
        )
        referred = (await spy.wait_for("compliance.referred", of(spy, embezzled)))[0]
        assert referred.data["to_unit"] == P + "cu-county-a-supervision"
        assert (await case(api, embezzled))["status"] == "referred"
        assert not spy.of("complaint.assigned", of(spy, embezzled))
        refused = await act(
            api, embezzled, "acknowledge", "2026-06-15T11:00:00+08:00", "cu-county-a-outlet-3", expect=409
        )
        assert "referred" in refused["title"]


async def test_as_12_org_13_rte_14_rte_15_rte_17_san_48_rcn_05_futures_subjects_ib_joint_investigation_and_re_complaint(
    world: Api, amqp_url: str
) -> None:
    """AS-12 (b)-(g): a violation is referred to Compliance & Audit at once and owned by the CRO, a lawsuit by the
    CRO, an ordinary complaint by the business VP; an IB complaint goes CS Centre → IB管理部 → securities company
    and both investigate jointly; a walk-in at a 营业部 goes to the CS Centre; a result names every item; a
    rejected solution at the callback is a second dispatch."""
    api = world
    base = {
        "regime": "futures-company",
        "received_at": "2026-07-06T09:00:00+08:00",
        "receiving_unit": P + "ft-cs-centre",
    }
    await clock(api, "2026-07-06T09:30:00+08:00")
    async with EventSpy(amqp_url) as spy:
        violation = await submit(
            api,
            **base,
            respondent={"unit": P + "ft-sales-suzhou", "staff": ["am-9"]},
            category="staff_violation",
            flags={"violation_suspected": True},
            facts="My account manager traded without my authorisation.",
        )
        lawsuit = await submit(
            api, **base, respondent={"unit": P + "ft-sales-suzhou"}, category="fees", flags={"litigation": True}
        )
        ordinary = await submit(api, **base, respondent={"unit": P + "ft-business-dept"})
        owners = {}
        for cid in (violation, lawsuit, ordinary):
            assigned = (await spy.wait_for("complaint.assigned", of(spy, cid)))[0]
            owners[cid] = (assigned.data["unit"], assigned.data["owner_role"], assigned.data["accountable_unit"])
        assert owners == {
            violation: (P + "ft-cs-centre", "cro", P + "ft-cro"),
            lawsuit: (P + "ft-cs-centre", "cro", P + "ft-cro"),
            ordinary: (P + "ft-cs-centre", "vp_business", P + "ft-vp-business"),
        }
        referred = (await spy.wait_for("compliance.referred", of(spy, violation)))[0]
        assert (referred.data["to_unit"], referred.data["occurred_at"]) == (
            P + "ft-compliance",
            "2026-07-06T09:00:00+08:00",
        )

        ib = await submit(api, **base, respondent={"unit": P + "sec-dongwu-ib-sales"}, category="ib_business")
        await case(api, ib)
        await act(api, ib, "forward", "2026-07-06T09:20:00+08:00", "ft-cs-centre", to_unit=P + "ft-ib-dept")
        await act(api, ib, "forward", "2026-07-06T09:25:00+08:00", "ft-ib-dept", to_unit=P + "sec-dongwu")
        await act(
            api,
            ib,
            "open_joint_investigation",
            "2026-07-06T09:28:00+08:00",
            "ft-ib-dept",
            units=[P + "ft-ib-dept", P + "sec-dongwu"],
        )
        hops = [e.data["to_unit"] for e in await spy.wait_for("complaint.forwarded", of(spy, ib), count=2)]
        assert hops == [P + "ft-ib-dept", P + "sec-dongwu"]
        joint = (await spy.wait_for("complaint.joint_investigation_opened", of(spy, ib)))[0]
        assert joint.data["units"] == [P + "ft-ib-dept", P + "sec-dongwu"]

        async def forwarded_in_time() -> bool:
            return (await clocks(api, ib, "FORWARD"))["FORWARD"]["state"] == "met"  # SLA-30: within the hour

        await eventually(forwarded_in_time, timeout=10)

        walk_in = await submit(
            api,
            **{**base, "receiving_unit": P + "ft-sales-suzhou"},
            channel="walk_in",
            respondent={"unit": P + "ft-sales-suzhou"},
        )
        assert (await case(api, walk_in))["owner_unit"] == P + "ft-sales-suzhou"
        await act(api, walk_in, "forward", "2026-07-06T09:10:00+08:00", "ft-sales-suzhou", to_unit=P + "ft-cs-centre")
        reported = (await spy.wait_for("complaint.forwarded", of(spy, walk_in)))[0]
        assert (reported.data["to_unit"], reported.data["transfer"]) == (P + "ft-cs-centre", True)

        await act(api, ordinary, "forward", "2026-07-06T09:15:00+08:00", "ft-cs-centre", to_unit=P + "ft-business-dept")
        partial = await act(
            api,
            ordinary,
            "submit_result",
            "2026-07-06T09:29:00+08:00",
            "ft-business-dept",
            expect=422,
            solution="Refund the commission difference.",
        )
        assert {e["field"] for e in partial["errors"]} == {
            "fact_determination",
            "responsible_handling",
            "rectification_measures",
            "satisfaction",
        }
        assert {e["rule"] for e in partial["errors"]} == {"SAN-48"}
        await act(
            api,
            ordinary,
            "submit_result",
            "2026-07-06T09:29:00+08:00",
            "ft-business-dept",
            fact_determination="The commission was keyed wrongly.",
            solution="Refund the difference.",
            responsible_handling="The clerk is retrained.",
            rectification_measures="Four-eyes check on rates.",
            satisfaction="basically_satisfied",
        )
        await act(api, ordinary, "reply_customer", "2026-07-06T09:29:30+08:00", "ft-business-dept", method="phone")
        await act(api, ordinary, "record_callback", "2026-07-06T09:29:50+08:00", "ft-cs-centre", satisfied=False)
        again = (await spy.wait_for("complaint.redispatched", of(spy, ordinary)))[0]
        assert (again.data["dispatch_number"], again.data["to_unit"], again.data["rule"]) == (
            2,
            P + "ft-business-dept",
            "RCN-05",
        )
        cro_list = (await api["routing"].get(f"/v1/units/{P}ft-cro/cases")).json()
        assert {violation, lawsuit} <= {c["complaint_id"] for c in cro_list}


async def test_as_20_rte_19_rte_20_rte_22_rte_25_org_04_cb_04_sla_21_tobacco_forms_leader_a_b_callbacks_and_dispatches(
    world: Api, amqp_url: str
) -> None:
    """AS-20 (a) a consultation forwarded to the monopoly department is answered the same day; (b) a report goes to
    the leader first, its extension stops at the 7-WD cap; a dispatched complaint the A handler does not confirm
    within the receipt window passes to B; the same-day callback; a dissatisfied customer makes a 2nd dispatch
    supervised by the rectification office."""
    api = world
    base = {"regime": "tobacco-bureau", "receiving_unit": P + "tb-monitoring"}
    await clock(api, "2026-09-30T11:30:30+08:00")
    async with EventSpy(amqp_url) as spy:
        consultation = await submit(
            api,
            **base,
            kind="consultation",
            received_at="2026-09-30T10:00:00+08:00",
            respondent={"unit": P + "tb-monopoly"},
            category="monopoly_enforcement",
        )
        report = await submit(
            api,
            **base,
            kind="report",
            received_at="2026-09-30T10:30:00+08:00",
            respondent={"unit": P + "tb-monopoly"},
            category="monopoly_enforcement",
            complainant={"name": "匿名", "phone": "13800000000", "standing": "direct", "confidential": True},
            facts="Illegal cigarette sales behind the market.",
        )
        complaint = await submit(
            api,
            **base,
            received_at="2026-09-30T10:45:00+08:00",
            respondent={"unit": P + "tb-county-xinmin"},
            category="logistics",
        )
        for cid in (consultation, report, complaint):
            await case(api, cid)
        await act(api, consultation, "forward", "2026-09-30T11:30:00+08:00", "tb-monitoring", to_unit=P + "tb-monopoly")
        answer = (await clocks(api, consultation, "CONSULT_ANSWER"))["CONSULT_ANSWER"]
        assert answer["due_at"] == "2026-09-30T23:59:59+08:00"

        await act(api, report, "approve", "2026-09-30T10:40:00+08:00", "tb-deputy", approved=True, kind="instruction")
        await act(
            api,
            report,
            "forward",
            "2026-09-30T11:00:00+08:00",
            "tb-monitoring",
            to_unit=P + "tb-monopoly",
            method="fax",
        )
        handling = (await clocks(api, report, "REPORT_HANDLING"))["REPORT_HANDLING"]
        assert handling["due_at"] == "2026-10-09T23:59:59+08:00"
        too_long = await act(
            api,
            report,
            "request_extension",
            "2026-09-30T11:20:00+08:00",
            "tb-monopoly",
            expect=422,
            reason="witnesses abroad",
            until="2026-10-16T12:00:00+08:00",
        )
        assert (too_long["errors"][0]["field"], too_long["errors"][0]["rule"]) == ("until", "SLA-21")
        await act(
            api,
            report,
            "request_extension",
            "2026-09-30T11:20:00+08:00",
            "tb-monopoly",
            reason="witnesses abroad",
            until="2026-10-15T23:59:59+08:00",
        )
        await act(api, report, "decide_extension", "2026-09-30T11:25:00+08:00", "tb-city", approved=True)
        extended = (
            await spy.wait_for(
                "sla.extended", lambda e: e.complaint_id == report and e.data["stage"] == "REPORT_HANDLING"
            )
        )[0]
        assert extended.data["due_at"] == "2026-10-15T23:59:59+08:00"

        await act(
            api,
            complaint,
            "forward",
            "2026-09-30T11:00:00+08:00",
            "tb-monitoring",
            to_unit=P + "tb-county-xinmin",
            method="email",
        )
        await clock(api, "2026-09-30T16:30:05+08:00")  # 4 working hours: 11:00-12:00 and 13:30-16:30
        handed = (
            await spy.wait_for(
                "complaint.assigned",
                lambda e: e.complaint_id == complaint and e.data["reason"] == "acknowledgement_breached",
                timeout=15,
            )
        )[0]
        assert (handed.data["unit"], handed.data["handler"], handed.data["handler_role"]) == (
            P + "tb-county-xinmin",
            "tb-xinmin-b",
            "B",
        )
        await clock(api, "2026-09-30T17:00:00+08:00")
        await act(api, complaint, "acknowledge", "2026-09-30T16:40:00+08:00", "tb-county-xinmin", staff="tb-xinmin-b")
        await act(
            api,
            complaint,
            "submit_result",
            "2026-09-30T16:50:00+08:00",
            "tb-county-xinmin",
            solution="Delivery rescheduled.",
        )
        required = (await spy.wait_for("callback.required", of(spy, complaint)))[0]
        assert (required.data["by_unit"], required.data["rule"]) == (P + "tb-monitoring", "CB-04")
        callback = (await clocks(api, complaint, "CALLBACK"))["CALLBACK"]
        assert callback["due_at"] == "2026-09-30T23:59:59+08:00"
        await act(api, complaint, "record_callback", "2026-09-30T16:55:00+08:00", "tb-monitoring", satisfied=False)
        second = (await spy.wait_for("complaint.redispatched", of(spy, complaint)))[0]
        assert (second.data["dispatch_number"], second.data["supervisor_unit"], second.data["to_unit"]) == (
            2,
            P + "tb-rectification",
            P + "tb-county-xinmin",
        )
