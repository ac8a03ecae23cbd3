"""AS-24 — the report calendar and the regulator escalation, end to end on the controlled clock.

`report.due` falls with the due times of DOMAIN §10 (CONV-07 inclusive: 23:59:59 of the due day, no postponement
when it is a rest day), `report.overdue` follows a due time passed without a submission, `report.submitted` records
one, and a large-scale detection (published as intake publishes it) obliges a prompt report to the CBRC office.
Rules: RPT-01, RPT-04, RPT-07, RPT-08, RPT-11, RPT-14, RPT-16, RPT-18, RTE-11.
"""

import io
import uuid
from collections.abc import Callable
from typing import Any

import aio_pika
import httpx
import pytest
from openpyxl import load_workbook

from tousu.contracts.envelope import CloudEvent
from tousu.contracts.events import ComplaintLargeScaleDetected
from tousu.contracts.topology import EVENTS_EXCHANGE
from tousu.kit.platform import Platform
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:6]
BANK, ASSOC, CU, FUT, MOB, TOB, PROP = (f"as24-{n}-{RUN}" for n in ("bank", "assoc", "cu", "fut", "mob", "tob", "prop"))
ORGS = [
    (BANK, "member", ["cbrc-2012-banking"]),
    (ASSOC, "association", ["liaoning-banking-association"]),
    (CU, "province", ["credit-union-province"]),
    (FUT, "member", ["futures-company"]),
    (MOB, "member", ["mobile-operator-si"]),
    (TOB, "member", ["tobacco-bureau"]),
    (PROP, "member", ["property-management"]),
]


def ours(kind: str, org: str, period: str) -> Callable[[CloudEvent], bool]:
    return lambda e: (e.data["kind"], e.data["org"], e.data["period"]) == (kind, org, period)


async def at(api: dict[str, httpx.AsyncClient], instant: str) -> None:
    response = await api["reporting"].put("/admin/clock", json={"now": instant})
    assert response.status_code == 200, response.text


async def due(spy: EventSpy, kind: str, org: str, period: str) -> dict[str, Any]:
    return (await spy.wait_for("report.due", ours(kind, org, period), timeout=10))[0].data


async def test_as24_report_calendar_submissions_overdue_and_the_regulator_escalation(
    platform: Platform, api: dict[str, httpx.AsyncClient], amqp_url: str
) -> None:
    async with EventSpy(amqp_url, "#") as spy:
        await at(api, "2026-03-01T09:00:00+08:00")
        for org, kind, regimes in ORGS:
            body = {"id": org, "name": org, "kind": kind, "parent": None, "tenant": org, "regimes": regimes}
            response = await api["routing"].put(f"/v1/orgs/{org}", json=body)
            assert response.status_code == 200, response.text

        async def replicated() -> bool:
            r = await api["reporting"].get("/v1/stats", params={"org": PROP})
            return r.status_code == 200

        await eventually(replicated, timeout=10)

        # RPT-18: the property table of March is due before the 25th, and falls due on that day
        await at(api, "2026-03-25T00:00:05+08:00")
        march = await due(spy, "monthly-statistics", PROP, "2026-03")
        assert march["due_at"] == "2026-03-25T23:59:59+08:00"
        assert march["recipients"] == ["centre leaders"]
        table = (
            await api["reporting"].get("/v1/reports/monthly-statistics", params={"period": "2026-03", "org": PROP})
        ).json()
        assert [s["id"] for s in table["sections"]] == [
            "second_complaints",
            "major_complaints",
            "important_owner_complaints",
        ]
        await at(api, "2026-03-26T00:00:05+08:00")
        overdue = await spy.wait_for("report.overdue", ours("monthly-statistics", PROP, "2026-03"))
        assert overdue[0].data["due_at"] == "2026-03-25T23:59:59+08:00"
        assert overdue[0].time.isoformat() == "2026-03-26T00:00:00+08:00"

        # RPT-04 CBRC H1 by 07-30 (submitted in time: no overdue); RPT-01 Liaoning bulletin with no due date
        await at(api, "2026-07-01T00:00:05+08:00")
        h1 = await due(spy, "regulator-semiannual", BANK, "2026-H1")
        assert (h1["due_at"], h1["recipients"]) == ("2026-07-30T23:59:59+08:00", ["CBRC or local office"])
        bulletin = await due(spy, "association-bulletin", ASSOC, "2026-H1")
        assert bulletin["due_at"] is None
        generated = await spy.wait_for("report.generated", ours("association-bulletin", ASSOC, "2026-H1"))
        assert set(generated[0].data["formats"]) == {"json", "csv", "xlsx", "html"}
        await at(api, "2026-07-20T10:00:00+08:00")
        submitted = await api["reporting"].post(
            "/v1/reports/regulator-semiannual/submissions",
            json={"period": "2026-H1", "org": BANK, "submitted_at": "2026-07-20T09:30:00+08:00", "to": "CBRC office"},
        )
        assert submitted.status_code == 201, submitted.text
        assert submitted.json()["late"] is False
        await spy.wait_for("report.submitted", ours("regulator-semiannual", BANK, "2026-H1"))

        # RPT-14 futures monthly records for July, to Compliance and the responsible person (day configurable)
        await at(api, "2026-08-01T00:00:05+08:00")
        july = await due(spy, "monthly-compliance", FUT, "2026-07")
        assert july["recipients"] == ["合规稽核部", "complaint responsible person"]
        assert july["due_at"] == "2026-08-10T23:59:59+08:00"

        # RTE-11/RPT-07: 120 complaints in 48 h about one wealth product → a prompt report to the CBRC office
        await at(api, "2026-11-03T10:05:00+08:00")
        fact = CloudEvent(
            source="tousu/intake",
            type="complaint.large_scale_detected",
            time="2026-11-03T10:00:00+08:00",
            tenant=BANK,
            data=ComplaintLargeScaleDetected(
                occurred_at="2026-11-03T10:00:00+08:00",
                regime="cbrc-2012-banking",
                rule="RTE-11",
                count=120,
                window_hours=48,
                threshold=100,
                group_key="product:wm-2026-17",
                respondent_unit=BANK,
                mass_incident_risk=True,
            ).model_dump(mode="json"),
        )
        await publish(amqp_url, fact)
        required = (
            await spy.wait_for("regulator.report_required", lambda e: e.data.get("source_event") == str(fact.id))
        )[0]
        assert required.data["to"] == "CBRC or local office"
        assert required.data["urgency"] == "prompt"
        assert required.data["due_at"] == "2026-11-04T10:00:00+08:00"
        assert required.routing_key == f"regulator.report_required.{BANK}"

        # RPT-16 credit-union year-end report due 12-31; CBRC H2 due 2027-01-30 (a Saturday, not postponed)
        await at(api, "2026-12-31T00:00:05+08:00")
        year_end = await due(spy, "mechanism-annual", CU, "2026")
        assert year_end["due_at"] == "2026-12-31T23:59:59+08:00"
        await at(api, "2027-01-31T00:00:05+08:00")
        h2 = await spy.wait_for("report.overdue", ours("regulator-semiannual", BANK, "2026-H2"))
        assert h2[0].data["due_at"] == "2027-01-30T23:59:59+08:00"
        await spy.wait_for("report.overdue", ours("mechanism-annual", CU, "2026"))
        assert not spy.of("report.overdue", ours("regulator-semiannual", BANK, "2026-H1"))

        listed = (await api["reporting"].get("/v1/reports")).json()
        h1_instance = next(
            i
            for i in listed["instances"]
            if (i["kind"], i["org"], i["period"]) == ("regulator-semiannual", BANK, "2026-H1")
        )
        assert (h1_instance["submitted_at"], h1_instance["overdue"]) == ("2026-07-20T09:30:00+08:00", False)

    # RPT-08 and RPT-11 templates, and the formats
    si = (
        await api["reporting"].get("/v1/reports/si-service-analysis", params={"period": "2026-07", "org": MOB})
    ).json()
    assert len(si["sections"]) == 10
    circular = await api["reporting"].get("/v1/reports/tobacco-circular", params={"period": "2026-Q3", "org": TOB})
    assert circular.json()["recipients"] == ["city-wide"]
    assert [s["id"] for s in circular.json()["sections"]] == ["by_kind", "by_category", "handling", "proposals"]
    params = {"period": "2026-H1", "org": BANK}
    csv = await api["reporting"].get("/v1/reports/regulator-semiannual", params={**params, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "due_at,2026-07-30T23:59:59+08:00" in csv.text
    xlsx = await api["reporting"].get("/v1/reports/regulator-semiannual", params={**params, "format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[:2] == ["report", "by_category"]
    page = await api["reporting"].get("/v1/reports/regulator-semiannual", params={**params, "format": "html"})
    assert '<table id="by_category">' in page.text
    bad = await api["reporting"].get("/v1/reports/regulator-semiannual", params={**params, "format": "pdf"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "format"


async def publish(url: str, event: CloudEvent) -> None:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(EVENTS_EXCHANGE)
        message = aio_pika.Message(
            event.model_dump_json().encode(), message_id=str(event.id), delivery_mode=aio_pika.DeliveryMode.PERSISTENT
        )
        await exchange.publish(message, routing_key=event.routing_key)
