"""Every report's figures against a count made here from the raw events (RPT-01/04/08/09/11/14/15/16/18).

A month (June 2026, with a few complaints in May and July around it) of complaints across seven regimes is
published onto `tousu.events` as its producers would publish it, shuffled and with some messages twice. Reporting
runs alone against its own vhost and database. Each report of DOMAIN §6 is then compared with what this test counts
itself from the events it published; the read models are dropped and rebuilt by replay, and every report is
identical; the facts that oblige reporting to act (closures, a public criticism) gave one event each: every
closed complaint of every regime is archived once (ARC-01, ARC-02, ARC-08, ARC-11), and the public criticism is
reported to the regulator (SAN-02). Satisfaction is counted from callbacks and closures at intake (SAT-01, SAT-04).
"""

import asyncio
import math
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aio_pika
import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.events import model_for
from tousu.contracts.topology import EVENTS_EXCHANGE
from tousu.contracts.types import SHANGHAI
from tousu.kit.auth import issue_token
from tousu.kit.serve import prepare
from tousu.kit.settings import DEV_TOKEN_SECRET, ServiceSettings
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy
from tousu.reporting.entrypoints.app import SPEC, create_app

pytestmark = pytest.mark.integration

PRODUCER = {
    "complaint": "intake",
    "callback": "routing",
    "sla": "sla",
    "sanction": "sanctions",
    "responsibility": "sanctions",
    "kpi": "sanctions",
    "org": "routing",
}
ROUTING_TYPES = {"assigned", "forwarded", "replied", "result_submitted", "escalated", "closed", "redispatched"}

# regime → (root, [(unit, parent, kind, tenant)], categories)
WORLD: dict[str, tuple[str, list[tuple[str, str | None, str, str]], list[str]]] = {
    "cbrc-2012-banking": (
        "cb-bank",
        [
            ("cb-bank", None, "member", "cb-bank"),
            ("cb-br-1", "cb-bank", "branch", "cb-bank"),
            ("cb-br-2", "cb-bank", "branch", "cb-bank"),
        ],
        ["fees", "product", "service_attitude"],
    ),
    "liaoning-banking-association": (
        "ln-as",
        [
            ("ln-as", None, "association", "ln-as"),
            ("ln-m1", "ln-as", "member", "ln-m1"),
            ("ln-m2", "ln-as", "member", "ln-m2"),
            ("ln-m1-o1", "ln-m1", "outlet", "ln-m1"),
            ("ln-m2-o1", "ln-m2", "outlet", "ln-m2"),
        ],
        ["service_attitude", "cash_services", "fees"],
    ),
    "credit-union-province": (
        "cu-prov",
        [
            ("cu-prov", None, "province", "cu-prov"),
            ("cu-county", "cu-prov", "county", "cu-prov"),
            ("cu-o1", "cu-county", "outlet", "cu-prov"),
            ("cu-o2", "cu-county", "outlet", "cu-prov"),
        ],
        ["fees", "misleading", "service_efficiency"],
    ),
    "futures-company": (
        "fu-co",
        [("fu-co", None, "member", "fu-co"), ("fu-dept", "fu-co", "department", "fu-co")],
        ["brokerage_business", "fees", "ib_business"],
    ),
    "mobile-operator-si": (
        "mo-hn",
        [
            ("mo-hn", None, "member", "mo-hn"),
            ("mo-si-a", "mo-hn", "vendor", "mo-hn"),
            ("mo-si-b", "mo-hn", "vendor", "mo-hn"),
        ],
        ["si_application", "boss_billing", "network"],
    ),
    "tobacco-bureau": (
        "tb-city",
        [
            ("tb-city", None, "member", "tb-city"),
            ("tb-county-1", "tb-city", "outlet", "tb-city"),
            ("tb-county-2", "tb-city", "outlet", "tb-city"),
        ],
        ["supply_allocation", "marketing_policy", "service_attitude"],
    ),
    "property-management": (
        "pm-office",
        [("pm-office", None, "member", "pm-office"), ("pm-eng", "pm-office", "department", "pm-office")],
        ["equipment", "housing_management", "fees"],
    ),
}
KINDS = {
    "mobile-operator-si": ["complaint", "consultation", "technical_support", "fault_report"],
    "tobacco-bureau": ["complaint", "consultation", "suggestion", "report"],
}
CHANNELS = ["phone", "hotline", "email", "web", "walk_in", "letter"]
JUNE = datetime(2026, 6, 1, tzinfo=SHANGHAI)


@dataclass
class World:
    events: list[CloudEvent]
    parents: dict[str, str | None]


def _event(type_: str, tenant: str, at: datetime, data: dict[str, Any]) -> CloudEvent:
    prefix, _, name = type_.partition(".")
    producer = "routing" if prefix == "complaint" and name in ROUTING_TYPES else PRODUCER[prefix]
    body = model_for(type_).model_validate({"occurred_at": at, **data}).model_dump(mode="json")
    return CloudEvent(source=f"tousu/{producer}", type=type_, time=at, tenant=tenant, data=body)


def generate(seed: int = 2026) -> World:
    rng = random.Random(seed)
    out: list[CloudEvent] = []
    parents: dict[str, str | None] = {}
    org_time = datetime(2026, 4, 1, 9, tzinfo=SHANGHAI)
    for regime, (_, units, _) in WORLD.items():
        for unit, parent, kind, tenant in units:
            parents[unit] = parent
            org = {
                "id": unit,
                "name": unit.upper(),
                "kind": kind,
                "parent": parent,
                "tenant": tenant,
                "regimes": [regime],
            }
            out.append(_event("org.updated", tenant, org_time, {"org_id": unit, "org": org, "version": 1}))
    n = 0
    for regime, (root, units, categories) in WORLD.items():
        leaves = [u for u, _, _, _ in units if u != root]
        for i in range(20):
            n += 1
            cid = f"{regime[:3]}-{i:03d}-{uuid.uuid4().hex[:6]}"
            unit = rng.choice(leaves)
            tenant = next(t for u, _, _, t in units if u == unit)
            # mostly June, a few in May and July (outside the month, inside or outside the quarter/half)
            day = rng.choice([-10, -3, *range(0, 30), *range(0, 30), 31, 40])
            received = JUNE + timedelta(days=day, hours=rng.randint(8, 17), minutes=rng.randint(0, 59))
            base = {"complaint_id": cid, "regime": regime, "reference": f"R{n:05d}"}
            kind = rng.choice(KINDS.get(regime, ["complaint", "complaint", "consultation"]))
            fields = {
                **base,
                "received_at": received,
                "receiving_unit": root,
                "respondent_unit": unit,
                "channel": rng.choice(CHANNELS),
                "kind": kind,
                "category": rng.choice(categories),
                "respondent_staff": [],
                "complainant_ref": f"ref-{rng.randint(1, 60)}",
            }
            outcome = rng.choices(["intake", "withdrawn", "breached", "open", "handled"], weights=[1, 1, 2, 2, 6], k=1)[
                0
            ]
            if outcome == "intake":
                out.append(
                    _event(
                        "complaint.closed_at_intake",
                        tenant,
                        received + timedelta(minutes=20),
                        {**fields, "closed_at": received + timedelta(minutes=20), "customer_satisfied": True},
                    )
                )
                continue
            major = rng.random() < 0.15
            important = rng.random() < 0.15
            out.append(
                _event(
                    "complaint.received",
                    tenant,
                    received,
                    {
                        **fields,
                        "policy_version": "1",
                        "priority": "major" if major else "ordinary",
                        "flags": {"important_customer": important},
                        "classification": {"major": major, "kind": kind},
                    },
                )
            )
            out.append(_event("complaint.assigned", tenant, received + timedelta(minutes=1), {**base, "unit": unit}))
            stage = {**base, "stage": "HANDLE", "owner_unit": unit, "clock": "calendar_days"}
            due = received + timedelta(days=3)
            out.append(
                _event(
                    "sla.clock_started",
                    tenant,
                    received + timedelta(minutes=1),
                    {**stage, "due_at": due, "started_at": received + timedelta(minutes=1), "policy_version": "1"},
                )
            )
            if rng.random() < 0.12:
                out.append(
                    _event(
                        "complaint.repeat_detected",
                        tenant,
                        received,
                        {**base, "parent_complaint_id": "earlier", "cause": "dissatisfied"},
                    )
                )
            if outcome == "withdrawn":
                at = received + timedelta(hours=2)
                out.append(_event("complaint.withdrawn", tenant, at, {**base, "requested_at": at}))
                out.append(
                    _event(
                        "sla.clock_stopped",
                        tenant,
                        at,
                        {**stage, "due_at": due, "stopped_at": at, "reason": "withdrawn"},
                    )
                )
                continue
            if outcome == "open":
                continue
            finished = received + timedelta(days=rng.choice([1, 2, 5]), hours=rng.randint(0, 5))
            if outcome == "breached":
                out.append(_event("sla.breached", tenant, due, {**stage, "due_at": due, "breached_at": due}))
                out.append(
                    _event(
                        "complaint.escalated",
                        tenant,
                        due,
                        {
                            **base,
                            "stage": "HANDLE",
                            "owner_unit": unit,
                            "due_at": due,
                            "breached_at": due,
                            "level": 1,
                            "target_unit": root,
                            "reason": "sla_breached",
                        },
                    )
                )
                finished = due + timedelta(hours=rng.randint(1, 30))
            else:
                finished = min(finished, due - timedelta(hours=1))
                out.append(_event("sla.met", tenant, finished, {**stage, "due_at": due, "stopped_at": finished}))
            if rng.random() < 0.15:
                out.append(
                    _event(
                        "complaint.redispatched",
                        tenant,
                        finished - timedelta(minutes=30),
                        {**base, "by": root, "to_unit": unit, "dispatch_number": 2, "reason": "unsatisfied"},
                    )
                )
            measures = "retrain counter staff" if rng.random() < 0.5 else None
            out.append(
                _event(
                    "complaint.result_submitted",
                    tenant,
                    finished - timedelta(minutes=10),
                    {**base, "by": unit, "solution": "explained and refunded", "rectification_measures": measures},
                )
            )
            out.append(_event("complaint.replied", tenant, finished - timedelta(minutes=5), {**base, "by": unit}))
            if rng.random() < 0.8:
                out.append(
                    _event(
                        "callback.recorded",
                        tenant,
                        finished + timedelta(hours=1),
                        {**base, "by_unit": unit, "satisfied": rng.random() < 0.7},
                    )
                )
            if rng.random() < 0.35:
                out.append(
                    _event(
                        "callback.recorded",
                        tenant,
                        finished + timedelta(hours=3),
                        {**base, "by_unit": parents[unit] or root, "satisfied": rng.random() < 0.7, "sample": True},
                    )
                )
            if rng.random() < 0.5:
                out.append(
                    _event(
                        "responsibility.determined",
                        tenant,
                        finished + timedelta(hours=4),
                        {**base, "determination_id": f"d-{cid}", "responsible": rng.random() < 0.5, "units": [unit]},
                    )
                )
            out.append(_event("complaint.closed", tenant, finished + timedelta(hours=6), {**base, "by": unit}))
    out.append(
        _event(
            "sanction.imposed",
            "ln-m1",
            JUNE + timedelta(days=20),
            {
                "regime": "liaoning-banking-association",
                "sanction_id": "s-crit-1",
                "kind": "public_criticism",
                "target_org": "ln-m1",
                "reason": "no rectification after the interview",
                "rule": "SAN-02",
                "recommendation": "disciplinary action",
            },
        )
    )
    out.append(
        _event(
            "sanction.imposed",
            "tb-city",
            JUNE + timedelta(days=5),
            {
                "regime": "tobacco-bureau",
                "sanction_id": "s-tb-1",
                "kind": "circular",
                "target_org": "tb-county-1",
                "reason": "late handling",
                "rule": "SAN-26",
            },
        )
    )
    out.append(_event("sanction.fulfilled", "tb-city", JUNE + timedelta(days=9), {"sanction_id": "s-tb-1"}))
    for si, value in (("mo-si-a", 6.0), ("mo-si-b", 2.0)):
        out.append(
            _event(
                "kpi.evaluated",
                "mo-hn",
                datetime(2026, 6, 30, 23, tzinfo=SHANGHAI),
                {
                    "regime": "mobile-operator-si",
                    "org": si,
                    "period": "2026-06",
                    "metric": "complaints_per_10000_users",
                    "value": value,
                    "threshold": 5.0,
                    "compliant": value < 5,
                    "consecutive_periods": 1 if value >= 5 else 0,
                },
            )
        )
    return World(out, parents)


# -- the independent count -----------------------------------------------------------------------------------------


class Count:
    """What this test knows from its raw events, without the service's code."""

    def __init__(self, world: World) -> None:
        self.parents = world.parents
        self.by_complaint: dict[str, list[CloudEvent]] = defaultdict(list)
        self.others: list[CloudEvent] = []
        for e in world.events:
            (self.by_complaint[e.complaint_id] if e.complaint_id else self.others).append(e)

    def within(self, unit: str, root: str) -> bool:
        current: str | None = unit
        while current is not None:
            if current == root:
                return True
            current = self.parents.get(current)
        return False

    def complaints(self, root: str, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
        out = {}
        for cid, events in self.by_complaint.items():
            types = {e.type: e for e in events}
            first = types.get("complaint.received") or types.get("complaint.closed_at_intake")
            assert first is not None
            d = first.data
            received = datetime.fromisoformat(d["received_at"])
            if not (start <= received < end) or not self.within(d["respondent_unit"], root):
                continue
            callbacks = sorted((e for e in events if e.type == "callback.recorded"), key=lambda e: e.occurred_at)
            closed = "complaint.closed" in types or "complaint.closed_at_intake" in types
            satisfied = (
                True
                if "complaint.closed_at_intake" in types
                else (callbacks[-1].data["satisfied"] if callbacks else None)
            )
            determination = types.get("responsibility.determined")
            result = types.get("complaint.result_submitted")
            out[cid] = {
                "reference": d["reference"],
                "unit": d["respondent_unit"],
                "kind": d["kind"],
                "category": d["category"],
                "channel": d["channel"],
                "closed": closed,
                "open": not closed and "complaint.withdrawn" not in types,
                "withdrawn": "complaint.withdrawn" in types,
                "at_intake": "complaint.closed_at_intake" in types,
                "breached": "sla.breached" in types,
                "escalations": sum(1 for e in events if e.type == "complaint.escalated"),
                "satisfied": satisfied,
                "repeat": "complaint.repeat_detected" in types,
                "second": "complaint.repeat_detected" in types or "complaint.redispatched" in types,
                "major": d.get("priority") == "major",
                "important": bool((d.get("flags") or {}).get("important_customer")),
                "responsible": determination.data["responsible"] if determination else None,
                "measures": bool(result and result.data.get("rectification_measures")),
                "callback": any(not e.data.get("sample") for e in callbacks),
                "sample_callback": any(e.data.get("sample") for e in callbacks),
                "first_time": closed and "complaint.redispatched" not in types,
            }
        return out


def period(name: str) -> tuple[datetime, datetime]:
    table = {
        "2026-06": (JUNE, datetime(2026, 7, 1, tzinfo=SHANGHAI)),
        "2026-05": (datetime(2026, 5, 1, tzinfo=SHANGHAI), JUNE),
        "2026-Q2": (datetime(2026, 4, 1, tzinfo=SHANGHAI), datetime(2026, 7, 1, tzinfo=SHANGHAI)),
        "2026-H1": (datetime(2026, 1, 1, tzinfo=SHANGHAI), datetime(2026, 7, 1, tzinfo=SHANGHAI)),
        "2026": (datetime(2026, 1, 1, tzinfo=SHANGHAI), datetime(2027, 1, 1, tzinfo=SHANGHAI)),
    }
    return table[name]


def section(doc: dict[str, Any], id_: str) -> list[dict[str, Any]]:
    sec = next(s for s in doc["sections"] if s["id"] == id_)
    return [dict(zip(sec["columns"], row, strict=True)) for row in sec["rows"]]


def ratio(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


# -- the service ---------------------------------------------------------------------------------------------------


@pytest.fixture
async def reporting(vhost_url: str, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings.model_validate(
        {
            "RABBITMQ_URL": vhost_url,
            "DATABASE_URL": database_url,
            "TOUSU_CLOCK": "controlled",
            "TOUSU_OUTBOX_POLL_S": 0.2,
        }
    )
    await prepare(SPEC, settings)
    app = create_app(settings)
    runtime = app.state.runtime
    await runtime.start()
    runtime.clock.set(datetime(2026, 7, 20, 12, tzinfo=SHANGHAI))
    token = issue_token(DEV_TOKEN_SECRET, "platform", ["admin"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://reporting",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client
    await runtime.stop()


async def publish(url: str, events: list[CloudEvent]) -> None:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(EVENTS_EXCHANGE)
        for start in range(0, len(events), 200):  # confirmed in windows, as a producer's relay would
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            e.model_dump_json().encode(),
                            message_id=str(e.id),
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=e.routing_key,
                    )
                    for e in events[start : start + 200]
                )
            )


async def stored(database_url: str, where: str = "source <> 'tousu/reporting'") -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(sa.text(f"SELECT count(*) FROM events WHERE {where}")) or 0)
    finally:
        await engine.dispose()


async def pending(database_url: str) -> int:
    """Complaints whose events the projector has not folded yet."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(sa.text("SELECT count(*) FROM dirty")) or 0)
    finally:
        await engine.dispose()


async def execute(database_url: str, *statements: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            for sql in statements:
                await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


REPORTS = [
    ("regulator-semiannual", "2026-H1", "cb-bank"),
    ("association-bulletin", "2026-H1", "ln-as"),
    ("mechanism-annual", "2026", "cu-prov"),
    ("responsibility-summary", "2026-Q2", "cu-prov"),
    ("monthly-compliance", "2026-06", "fu-co"),
    ("si-service-analysis", "2026-06", "mo-hn"),
    ("si-kpi-evaluation", "2026-06", "mo-hn"),
    ("tobacco-circular", "2026-Q2", "tb-city"),
    ("monthly-statistics", "2026-06", "pm-office"),
]


async def get_all(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    docs = {}
    for kind, p, org in REPORTS:
        r = await client.get(f"/v1/reports/{kind}", params={"period": p, "org": org})
        assert r.status_code == 200, r.text
        docs[kind] = r.json()
    return docs


async def test_rpt_every_report_equals_an_independent_count_and_a_rebuild_by_replay(
    reporting: httpx.AsyncClient, vhost_url: str, database_url: str
) -> None:
    world = generate()
    rng = random.Random(5)
    wire = world.events[:]
    rng.shuffle(wire)
    wire += rng.sample(world.events, len(world.events) // 20)  # at-least-once: some arrive twice
    orgs_first = [e for e in world.events if e.type == "org.updated"]
    async with EventSpy(vhost_url) as spy:
        await publish(vhost_url, orgs_first)  # the registry exists before complaints reach anyone
        await publish(vhost_url, wire)

        async def all_stored() -> bool:  # and folded
            return await stored(database_url) == len(world.events) and await pending(database_url) == 0

        await eventually(all_stored, timeout=90, interval=0.3)
        count = Count(world)
        docs = await get_all(reporting)
        check_reports(docs, count)

        # stats: one regime's month, grouped
        r = await reporting.get("/v1/stats", params={"period": "2026-06", "org": "tb-city", "group_by": "category"})
        assert r.status_code == 200, r.text
        tb = count.complaints("tb-city", *period("2026-06"))
        assert r.json()["volume"] == len(tb)
        assert {k: g["volume"] for k, g in r.json()["groups"].items()} == dict(
            Counter(c["category"] for c in tb.values())
        )

        # the statistics (SQL aggregates) and the reports (the domain's figures) agree, grouped or not
        for kind, p, org in REPORTS:
            r = await reporting.get("/v1/stats", params={"period": p, "org": org})
            assert r.status_code == 200, r.text
            same = {k: v for k, v in r.json().items() if k not in ("org", "from", "to", "group_by")}
            assert same == docs[kind]["figures"], kind
        grouped = (await reporting.get("/v1/stats", params={"period": "2026-Q2", "group_by": "regime"})).json()
        assert grouped["volume"] == sum(g["volume"] for g in grouped["groups"].values())
        assert grouped["groups"]["tobacco-bureau"] == docs["tobacco-circular"]["figures"]

        # a unit sees its own part of the hierarchy only (CONTRACT §3)
        member = {"Authorization": f"Bearer {issue_token(DEV_TOKEN_SECRET, 'ln-m2', ['supervisor'])}"}
        mine = await reporting.get("/v1/stats", params={"period": "2026-H1"}, headers=member)
        ln_m2 = count.complaints("ln-m2", *period("2026-H1"))
        assert (mine.json()["org"], mine.json()["volume"]) == ("ln-m2", len(ln_m2))
        above = await reporting.get(
            "/v1/reports/association-bulletin", params={"period": "2026-H1", "org": "ln-as"}, headers=member
        )
        assert above.status_code == 404

        # reporting's own duties: one archive per closed or withdrawn complaint, one regulator report (SAN-02)
        ended = {
            cid
            for cid, es in count.by_complaint.items()
            if {e.type for e in es} & {"complaint.closed", "complaint.closed_at_intake", "complaint.withdrawn"}
        }

        async def archived() -> set[str] | None:
            got = {e.complaint_id for e in spy.of("complaint.archived")}
            return got if got == ended else None

        await eventually(archived, timeout=20)
        assert len(spy.of("complaint.archived")) == len(ended)
        required = spy.of("regulator.report_required")
        assert [(e.data["source_type"], e.data["to"], e.data["recommendation"]) for e in required] == [
            ("sanction.imposed", "banking regulator", "disciplinary action")
        ]

        async def archives_stored() -> bool:  # they are facts of the complaints' files too
            archives = await stored(database_url, "type = 'complaint.archived'")
            return archives == len(ended) and await pending(database_url) == 0

        await eventually(archives_stored, timeout=10)
        docs = await get_all(reporting)

    # the read models dropped, then rebuilt by replaying the stored history: identical reports
    await execute(database_url, "DELETE FROM complaints", "DELETE FROM sanctions", "DELETE FROM orgs")
    emptied = await reporting.get("/v1/reports/tobacco-circular", params={"period": "2026-Q2", "org": "tb-city"})
    assert emptied.status_code == 404  # the organisation replica itself was dropped
    rebuilt = await reporting.post("/admin/read-models/rebuild")
    assert rebuilt.status_code == 200, rebuilt.text
    assert rebuilt.json()["complaints"] == len(count.by_complaint)
    assert await get_all(reporting) == docs


def check_reports(docs: dict[str, dict[str, Any]], count: Count) -> None:
    # RPT-04 CBRC semiannual statistics: volume, by category and channel, breaches, escalations, satisfaction
    cb = count.complaints("cb-bank", *period("2026-H1"))
    doc = docs["regulator-semiannual"]
    assert doc["due_at"] == "2026-07-30T23:59:59+08:00"
    f = doc["figures"]
    assert f["volume"] == len(cb) > 0
    assert f["closed"] == sum(c["closed"] for c in cb.values())
    assert f["breached"] == sum(c["breached"] for c in cb.values())
    assert f["escalations"] == sum(c["escalations"] for c in cb.values())
    known = [c["satisfied"] for c in cb.values() if c["satisfied"] is not None]
    assert f["satisfaction_rate"] == ratio(sum(known), len(known))
    assert f["repeat_rate"] == ratio(sum(c["repeat"] for c in cb.values()), len(cb))
    assert {r["category"]: r["count"] for r in section(doc, "by_category")} == dict(
        Counter(c["category"] for c in cb.values())
    )
    assert {r["channel"]: r["count"] for r in section(doc, "by_channel")} == dict(
        Counter(c["channel"] for c in cb.values())
    )

    # RPT-01 Liaoning bulletin: each member unit's handling
    ln = count.complaints("ln-as", *period("2026-H1"))
    rows = {r["member"]: r for r in section(docs["association-bulletin"], "members")}
    for member in ("ln-m1", "ln-m2"):
        mine = [c for c in ln.values() if count.within(c["unit"], member)]
        assert rows[member]["received"] == len(mine)
        assert rows[member]["closed"] == sum(c["closed"] for c in mine)
        assert rows[member]["breached"] == sum(c["breached"] for c in mine)
        assert rows[member]["escalations"] == sum(c["escalations"] for c in mine)
    assert (rows["ln-m1"]["sanctions"], rows["ln-m2"]["sanctions"]) == (1, 0)

    # RPT-16 credit-union year-end: the mechanism, callbacks against CB-01's quotas (100 % and ceil(30 %))
    cu = count.complaints("cu-prov", *period("2026"))
    doc = docs["mechanism-annual"]
    mechanism = {r["figure"]: r["value"] for r in section(doc, "mechanism")}
    closed = [c for c in cu.values() if c["closed"]]
    assert mechanism["received"] == len(cu)
    assert mechanism["closed"] == len(closed)
    assert mechanism["responsibility_complaints"] == sum(1 for c in cu.values() if c["responsible"])
    quotas = {r["coverage"]: r for r in section(doc, "callbacks")}
    assert quotas[1.0]["done"] == sum(c["callback"] for c in closed)
    assert quotas[0.3]["required"] == math.ceil(0.3 * len(closed))
    assert quotas[0.3]["done"] == sum(c["sample_callback"] for c in closed)

    # RPT-15 responsibility complaints by unit
    q2 = count.complaints("cu-prov", *period("2026-Q2"))
    units = {r["unit"]: r for r in section(docs["responsibility-summary"], "units")}
    for unit in {c["unit"] for c in q2.values()}:
        mine = [c for c in q2.values() if c["unit"] == unit]
        assert units[unit]["complaints"] == len(mine)
        assert units[unit]["responsibility"] == sum(1 for c in mine if c["responsible"])
        assert units[unit]["non_responsibility"] == sum(1 for c in mine if c["responsible"] is False)
        assert units[unit]["with_rectification"] == sum(1 for c in mine if c["responsible"] and c["measures"])

    # RPT-14 futures monthly register: every complaint of the month with its satisfaction
    fu = count.complaints("fu-co", *period("2026-06"))
    register = section(docs["monthly-compliance"], "register")
    assert sorted(r["reference"] for r in register) == sorted(c["reference"] for c in fu.values())
    by_ref = {c["reference"]: c for c in fu.values()}
    assert all(r["satisfied"] == by_ref[r["reference"]]["satisfied"] for r in register)
    assert docs["monthly-compliance"]["due_at"] == "2026-07-10T23:59:59+08:00"

    # RPT-08 the SI service-analysis report: its ten fields
    mo = count.complaints("mo-hn", *period("2026-06"))
    doc = docs["si-service-analysis"]
    assert [s["id"] for s in doc["sections"]] == [
        "phone_requests",
        "email_requests",
        "installation_training",
        "phone_resolution_rate",
        "first_time_completion_rate",
        "average_resolution_hours",
        "unresolved",
        "by_category",
        "satisfaction_rate",
        "complaints",
    ]
    value = {s["id"]: s["rows"][0][0] for s in doc["sections"] if s["columns"] == ["value"]}
    phone = [c for c in mo.values() if c["channel"] in ("phone", "hotline")]
    closed = [c for c in mo.values() if c["closed"]]
    known = [c["satisfied"] for c in mo.values() if c["satisfied"] is not None]
    assert value["phone_requests"] == len(phone)
    assert value["email_requests"] == sum(1 for c in mo.values() if c["channel"] == "email")
    assert value["installation_training"] == sum(1 for c in mo.values() if c["kind"] == "technical_support")
    assert value["phone_resolution_rate"] == ratio(sum(c["at_intake"] for c in phone), len(phone))
    assert value["first_time_completion_rate"] == ratio(sum(c["first_time"] for c in closed), len(closed))
    assert value["satisfaction_rate"] == ratio(sum(known), len(known))
    assert len(section(doc, "unresolved")) == sum(c["open"] for c in mo.values())
    assert len(section(doc, "complaints")) == sum(1 for c in mo.values() if c["kind"] == "complaint")

    # RPT-09 KPI evaluation of each SI
    kpis = {r["org"]: r for r in section(docs["si-kpi-evaluation"], "kpis")}
    assert (kpis["mo-si-a"]["compliant"], kpis["mo-si-b"]["compliant"]) == (False, True)

    # RPT-11 tobacco circular: quantity by type, handling status, proposals
    tb = count.complaints("tb-city", *period("2026-Q2"))
    doc = docs["tobacco-circular"]
    assert {r["kind"]: r["count"] for r in section(doc, "by_kind")} == dict(Counter(c["kind"] for c in tb.values()))
    handling = {r["status"]: r["count"] for r in section(doc, "handling")}
    assert handling["received"] == len(tb)
    assert handling["open"] == sum(c["open"] for c in tb.values())
    assert handling["closed"] == sum(c["closed"] for c in tb.values())
    assert handling["breached"] == sum(c["breached"] for c in tb.values())
    late_units = {c["unit"] for c in tb.values() if c["breached"]}
    assert {r["subject"] for r in section(doc, "proposals") if r["subject"].startswith("unit ")} == {
        f"unit {u}" for u in late_units
    }
    assert doc["recipients"] == ["city-wide"]

    # RPT-18 property table: only second, major and important-owner complaints of the month
    pm = count.complaints("pm-office", *period("2026-06"))
    doc = docs["monthly-statistics"]
    assert doc["due_at"] == "2026-06-25T23:59:59+08:00"
    for id_, key in (
        ("second_complaints", "second"),
        ("major_complaints", "major"),
        ("important_owner_complaints", "important"),
    ):
        assert sorted(r["reference"] for r in section(doc, id_)) == sorted(
            c["reference"] for c in pm.values() if c[key]
        )
