"""Intake alone against the real broker and database, driven through its HTTP API and `tousu.ingress`, with
routing's and sla's facts (`org.updated`, `complaint.forwarded`, `complaint.replied`, ...) published on the bus as
those services publish them. Each test uses its own organisations and tenant."""

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aio_pika
import httpx
import orjson
import pytest

from tests.integration.conftest import InProcessService, in_process
from tousu.contracts.events.routing import Organisation, OrgUpdated
from tousu.contracts.topology import INGRESS_EXCHANGE, SUBMIT_KEY, ingress_queue, parking_queue
from tousu.intake.entrypoints.app import create_app
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.integration


class Intake(InProcessService):
    """The intake service in-process, its HTTP client, and a publisher standing in for routing and sla."""

    default_roles = ("submitter",)

    async def world(self, tag: str, regime: str, ingress_user: str | None = None) -> dict[str, str]:
        """A tenant of three levels (root, county, outlet) and a second county (sibling) under `regime`, replicated
        into intake."""
        units = {"root": f"{tag}-root", "county": f"{tag}-county", "outlet": f"{tag}-outlet", "sibling": f"{tag}-sib"}
        parents = {"root": None, "county": units["root"], "outlet": units["county"], "sibling": units["root"]}
        kinds = {"root": "member", "county": "branch", "outlet": "outlet", "sibling": "branch"}
        for level, unit in units.items():
            org = Organisation(
                id=unit,
                name=unit,
                kind=kinds[level],
                parent=parents[level],
                tenant=units["root"],
                regimes=[regime],
                ingress_users=[{"user": ingress_user, "roles": ["submitter"]}]
                if ingress_user and level == "root"
                else [],  # type: ignore[list-item]
            )
            data = OrgUpdated(org_id=unit, org=org, version=1, occurred_at=datetime.now().astimezone())
            await self.publish("org.updated", units["root"], data.model_dump(mode="json"))
        probe = {**complaint(regime, units["sibling"]), "regime": "no-such-regime"}

        async def replicated() -> bool:
            r = await self.http.post("/v1/complaints", json=probe, headers=self.key(units["root"]))
            return r.status_code == 422 and "unknown organisation" not in r.text

        await eventually(replicated, timeout=10)
        return units

    def key(self, org: str, key: str | None = None, *roles: str) -> dict[str, str]:
        return {**self.as_(org, *roles), "Idempotency-Key": key or str(uuid.uuid4())}


def complaint(regime: str, unit: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "regime": regime,
        "received_at": "2026-03-02T10:00:00+08:00",
        "receiving_unit": unit,
        "receiver_staff": "emp-1",
        "channel": "phone",
        "kind": "complaint",
        "complainant": {"name": "赵六", "phone": "13700000001", "standing": "direct"},
        "respondent": {"unit": unit, "staff": ["emp-22"]},
        "category": "service_attitude",
        "facts": "The teller was rude at the counter.",
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
async def intake(postgres_url: str) -> AsyncIterator[Intake]:
    async with in_process(Intake, "intake", create_app, postgres_url) as service:
        yield service


def tag() -> str:
    return f"it{uuid.uuid4().hex[:6]}"


# -- idempotency ------------------------------------------------------------------------------------------------------


async def test_contract4_idempotency_same_key_same_answer_other_body_422_concurrent_one_complaint(
    intake: Intake,
) -> None:
    units = await intake.world(tag(), "credit-union-province")
    body = complaint("credit-union-province", units["outlet"])
    headers = intake.key(units["root"], "key-1")
    first = await intake.http.post("/v1/complaints", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = await intake.http.post("/v1/complaints", json=dict(reversed(list(body.items()))), headers=headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    other = await intake.http.post("/v1/complaints", json={**body, "facts": "Another matter."}, headers=headers)
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    # the same key from another organisation is another submission
    county = await intake.http.post("/v1/complaints", json=body, headers=intake.key(units["county"], "key-1"))
    assert county.status_code == 201
    assert county.json()["id"] != first.json()["id"]

    async with EventSpy(intake.amqp_url, f"complaint.received.{units['root']}") as spy:
        burst = intake.key(units["root"], "key-burst")
        answers = await asyncio.gather(
            *(intake.http.post("/v1/complaints", json=body, headers=burst) for _ in range(12))
        )
        assert sorted(a.status_code for a in answers) == [200] * 11 + [201]
        assert len({a.json()["id"] for a in answers}) == 1
        await spy.wait_for("complaint.received", lambda e: e.complaint_id == answers[0].json()["id"])
        await asyncio.sleep(0.5)  # a second complaint.received, if any, would be relayed by now
        assert len(spy.of("complaint.received", lambda e: e.data["reference"] == answers[0].json()["reference"])) == 1


async def test_contract4_a_refusal_that_left_no_trace_is_not_the_keys_answer_a_retry_is_evaluated_afresh(
    intake: Intake,
) -> None:
    """The client was quicker than routing's `org.updated`: its retry with the same key gets the complaint."""
    t = tag()
    body = complaint("credit-union-province", f"{t}-outlet")
    headers = intake.key(f"{t}-root", "key-early")
    early = await intake.http.post("/v1/complaints", json=body, headers=headers)
    assert early.status_code == 422
    assert "unknown organisation" in early.text
    await intake.world(t, "credit-union-province")
    again = await intake.http.post("/v1/complaints", json=body, headers=headers)
    assert again.status_code == 201, again.text
    replay = await intake.http.post("/v1/complaints", json=body, headers=headers)
    assert replay.status_code == 200
    assert replay.json()["id"] == again.json()["id"]


# -- withdrawal (LC-10) -----------------------------------------------------------------------------------------------


async def test_lc10_int40_withdrawal_before_transfer_then_refused_after_the_transfer(intake: Intake) -> None:
    units = await intake.world(tag(), "insurer-95511")
    body = complaint("insurer-95511", units["root"], category="claims", received_at="2026-05-06T09:00:00+08:00")
    headers = intake.key(units["root"])
    async with EventSpy(intake.amqp_url, f"*.*.{units['root']}") as spy:
        early = (await intake.http.post("/v1/complaints", json=body, headers=headers)).json()
        response = await intake.http.post(
            f"/v1/complaints/{early['id']}/withdrawal",
            json={"requested_at": "2026-05-06T09:30:00+08:00", "reason": "customer satisfied"},
            headers=intake.as_(units["root"]),
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "withdrawn"
        withdrawn = (await spy.wait_for("complaint.withdrawn", lambda e: e.complaint_id == early["id"]))[0]
        assert withdrawn.data["rule"] == "LC-10"
        again = await intake.http.post(
            f"/v1/complaints/{early['id']}/withdrawal",
            json={"requested_at": "2026-05-06T09:40:00+08:00"},
            headers=intake.as_(units["root"]),
        )
        assert again.status_code == 409

        late = (await intake.http.post("/v1/complaints", json=body, headers=intake.key(units["root"]))).json()
        outlet = intake.as_(units["outlet"], "handler")
        assert (await intake.http.get(f"/v1/complaints/{late['id']}", headers=outlet)).status_code == 404
        await intake.publish(
            "complaint.forwarded",
            units["root"],
            {
                "complaint_id": late["id"],
                "regime": "insurer-95511",
                "occurred_at": "2026-05-06T10:00:00+08:00",
                "from_unit": units["root"],
                "to_unit": units["outlet"],
                "transfer": True,
                "by": units["root"],
            },
        )

        async def held_by_the_outlet() -> bool:
            # the outlet that now holds the case sees the complaint: the transfer has reached intake
            url = f"/v1/complaints/{late['id']}"
            return (await intake.http.get(url, headers=outlet)).status_code == 200

        await eventually(held_by_the_outlet, timeout=10)
        response = await intake.http.post(
            f"/v1/complaints/{late['id']}/withdrawal",
            json={"requested_at": "2026-05-06T11:00:00+08:00", "reason": "changed my mind"},
            headers=intake.as_(units["root"]),
        )
        assert response.status_code == 409
        assert response.json()["rule"] == "LC-10"
        event = (await spy.wait_for("complaint.withdrawal_refused", lambda e: e.complaint_id == late["id"]))[0]
        assert event.data["refusal_reason"] == "transferred"
        assert event.data["transferred_at"] == "2026-05-06T10:00:00+08:00"


# -- reconsideration (RCN-02, AS-06) ----------------------------------------------------------------------------------


async def test_rcn02_as06_reconsideration_inside_the_window_and_rejected_late(intake: Intake) -> None:
    units = await intake.world(tag(), "credit-union-province")
    body = complaint("credit-union-province", units["outlet"], received_at="2026-05-25T10:00:00+08:00")
    ids = [
        (await intake.http.post("/v1/complaints", json=body, headers=intake.key(units["root"]))).json()["id"]
        for _ in "ab"
    ]
    headers = intake.as_(units["root"])
    early = await intake.http.post(
        f"/v1/complaints/{ids[0]}/reconsideration",
        json={"requested_at": "2026-06-01T10:00:00+08:00", "lodged_with": units["root"]},
        headers=headers,
    )
    assert early.status_code == 409  # nothing notified yet
    async with EventSpy(intake.amqp_url, f"reconsideration.*.{units['root']}") as spy:
        for complaint_id in ids:
            await intake.publish(
                "complaint.replied",
                units["root"],
                {
                    "complaint_id": complaint_id,
                    "regime": "credit-union-province",
                    "occurred_at": "2026-06-02T16:00:00+08:00",
                    "by": units["county"],
                    "method": "phone",
                    "reconsideration_notice": True,
                },
            )

        async def filed() -> httpx.Response | None:
            r = await intake.http.post(
                f"/v1/complaints/{ids[0]}/reconsideration",
                json={"requested_at": "2026-06-16T10:00:00+08:00", "lodged_with": units["root"]},
                headers=headers,
            )
            return r if r.status_code != 409 else None

        response = await eventually(filed, timeout=10)
        assert response.status_code == 201, response.text
        assert response.json()["window_closes_at"] == "2026-06-17T23:59:59+08:00"
        requested = (await spy.wait_for("reconsideration.requested"))[0]
        assert requested.data["lodged_with"] == units["root"]
        assert requested.data["deciding_unit"] == units["county"]
        assert requested.data["notified_at"] == "2026-06-02T16:00:00+08:00"

        wrong = await intake.http.post(
            f"/v1/complaints/{ids[1]}/reconsideration",
            json={"requested_at": "2026-06-16T10:00:00+08:00", "lodged_with": units["outlet"]},
            headers=headers,
        )
        assert wrong.status_code == 422
        assert wrong.json()["errors"][0]["field"] == "lodged_with"
        late = await intake.http.post(
            f"/v1/complaints/{ids[1]}/reconsideration",
            json={"requested_at": "2026-06-18T09:00:00+08:00", "lodged_with": units["root"]},
            headers=headers,
        )
        assert late.status_code == 422
        assert late.json()["errors"][0]["rule"] == "RCN-01"
        rejected = (await spy.wait_for("reconsideration.rejected_late"))[0]
        assert rejected.complaint_id == ids[1]
        assert rejected.data["window_closed_at"] == "2026-06-17T23:59:59+08:00"


# -- repeat complaints (INT-30, SAN-36; AS-09, AS-14) -----------------------------------------------------------------


async def test_int30_san36_as09_repeat_after_unreachable_staff_and_as14_after_a_missed_deadline(intake: Intake) -> None:
    units = await intake.world(tag(), "credit-union-province")
    body = complaint("credit-union-province", units["outlet"], channel="hotline")
    first = (await intake.http.post("/v1/complaints", json=body, headers=intake.key(units["root"]))).json()
    for day in ("03", "04"):
        await intake.publish(
            "complaint.customer_contact_attempted",
            units["root"],
            {
                "complaint_id": first["id"],
                "regime": "credit-union-province",
                "occurred_at": f"2026-03-{day}T10:00:00+08:00",
                "by": units["county"],
                "reached": False,
            },
        )
    await _until(intake, first["id"], units["root"], "unit_unreachable_attempts", 2)
    async with EventSpy(intake.amqp_url, f"complaint.repeat_detected.{units['root']}") as spy:
        again = await intake.http.post(
            "/v1/complaints",
            json={**body, "received_at": "2026-03-04T15:00:00+08:00"},
            headers=intake.key(units["root"]),
        )
        assert again.status_code == 201, again.text
        assert again.json()["repeat"] == {"parent_complaint_id": first["id"], "cause": "unreachable", "count": 2}
        event = (await spy.wait_for("complaint.repeat_detected"))[0]
        assert event.data["cause"] == "unreachable"
        assert event.data["respondent_unit"] == units["outlet"]
        assert event.data["parent_reference"] == first["reference"]

    mobile = await intake.world(tag(), "mobile-operator-si")
    t2 = complaint(
        "mobile-operator-si", mobile["outlet"], priority="difficult", received_at="2026-05-08T14:00:00+08:00"
    )
    t2["complainant"] = {"name": "客户", "phone": "13600000002"}
    parent = (await intake.http.post("/v1/complaints", json=t2, headers=intake.key(mobile["root"]))).json()
    await intake.publish(
        "sla.breached",
        mobile["root"],
        {
            "complaint_id": parent["id"],
            "regime": "mobile-operator-si",
            "occurred_at": "2026-05-11T14:00:00+08:00",
            "stage": "SI_DISPATCH_DIFFICULT",
            "owner_unit": mobile["outlet"],
            "clock": "hours",
            "due_at": "2026-05-11T14:00:00+08:00",
            "breached_at": "2026-05-11T14:00:00+08:00",
        },
    )
    await _until(intake, parent["id"], mobile["root"], "breached_stage", "SI_DISPATCH_DIFFICULT")
    repeat = await intake.http.post(
        "/v1/complaints",
        json={**t2, "received_at": "2026-05-12T09:00:00+08:00", "priority": None},
        headers=intake.key(mobile["root"]),
    )
    assert repeat.status_code == 201, repeat.text
    assert repeat.json()["repeat"]["cause"] == "no_timely_reply"
    shown = (await intake.http.get(f"/v1/complaints/{repeat.json()['id']}", headers=intake.as_(mobile["root"]))).json()
    assert shown["repeat"] == {"parent_complaint_id": parent["id"], "cause": "no_timely_reply"}
    # another complainant, or another subject, is no repeat
    other = {**t2, "complainant": {"phone": "13600000003"}, "received_at": "2026-05-12T10:00:00+08:00"}
    fresh = (await intake.http.post("/v1/complaints", json=other, headers=intake.key(mobile["root"]))).json()
    assert "repeat" not in fresh


async def _until(intake: Intake, complaint_id: str, org: str, field: str, value: Any) -> None:
    """Wait until intake's record shows a fact learnt from another service's event."""

    async def shown() -> bool:
        r = await intake.http.get(f"/v1/complaints/{complaint_id}", headers=intake.as_(org, "handler"))
        return bool(r.json()[field] == value)

    await eventually(shown, timeout=10)


# -- reclassification (INT-36, AS-22) ---------------------------------------------------------------------------------


async def test_int36_as22_defused_case_may_become_a_complaint_never_the_reverse(intake: Intake) -> None:
    units = await intake.world(tag(), "insurer-95511")
    body = complaint("insurer-95511", units["root"], kind="defused", category="claims", channel="hotline")
    created = (await intake.http.post("/v1/complaints", json=body, headers=intake.key(units["root"]))).json()
    assert created["kind"] == "defused"
    url = f"/v1/complaints/{created['id']}/reclassification"
    headers = intake.as_(units["root"], "handler")
    async with EventSpy(intake.amqp_url, f"complaint.reclassified.{units['root']}") as spy:
        up = await intake.http.post(
            url,
            json={"at": "2026-03-05T10:00:00+08:00", "reason": "still disputes after payment", "kind": "complaint"},
            headers=headers,
        )
        assert up.status_code == 200, up.text
        assert up.json()["kind"] == "complaint"
        event = (await spy.wait_for("complaint.reclassified"))[0]
        assert (event.data["previous_kind"], event.data["kind"]) == ("defused", "complaint")
    back = await intake.http.post(
        url, json={"at": "2026-03-05T11:00:00+08:00", "reason": "mistake", "kind": "consultation"}, headers=headers
    )
    assert back.status_code == 409
    assert back.json()["rule"] == "INT-36"
    major = await intake.http.post(
        url,
        json={"at": "2026-03-05T12:00:00+08:00", "reason": "copied to the executive", "priority": "major"},
        headers=headers,
    )
    assert major.status_code == 200
    assert major.json()["classification"]["major"] is True
    down = await intake.http.post(
        url, json={"at": "2026-03-05T13:00:00+08:00", "reason": "x", "priority": "ordinary"}, headers=headers
    )
    assert down.status_code == 409


# -- personal data: masked, revealed to the auditor, audited (CONF-*) -------------------------------------------------


async def test_conf04_masked_on_read_revealed_only_to_the_auditor_and_audited_informant_never(intake: Intake) -> None:
    units = await intake.world(tag(), "tobacco-bureau")
    body = complaint(
        "tobacco-bureau",
        units["root"],
        complainant={"name": "钱七", "phone": "13512345678", "id_number": "110101199001011234"},
    )
    created = (await intake.http.post("/v1/complaints", json=body, headers=intake.key(units["root"]))).json()
    url = f"/v1/complaints/{created['id']}"
    record = (await intake.http.get(url, headers=intake.as_(units["root"], "handler"))).json()
    assert record["complainant"]["phone"] == "135****5678"
    assert record["complainant"]["id_number"] == "110***********1234"
    assert record["complainant"]["name"] == "钱*"
    assert record["revealed"] is False
    forbidden = await intake.http.get(url, params={"reveal": "true"}, headers=intake.as_(units["root"], "handler"))
    assert forbidden.status_code == 403
    auditor = intake.as_(units["root"], "auditor")
    revealed = (await intake.http.get(url, params={"reveal": "true"}, headers=auditor)).json()
    assert revealed["complainant"]["phone"] == "13512345678"
    assert revealed["revealed"] is True
    audit = (await intake.http.get(f"{url}/reveals", headers=auditor)).json()
    assert [(a["outcome"], a["fields"], a["caller_org"]) for a in audit] == [
        ("revealed", ["id_number", "name", "phone"], units["root"])
    ]
    assert "13512345678" not in str(audit)

    report = {**body, "kind": "report", "category": "monopoly_enforcement"}
    informant = (await intake.http.post("/v1/complaints", json=report, headers=intake.key(units["root"]))).json()
    hidden = (
        await intake.http.get(f"/v1/complaints/{informant['id']}", params={"reveal": "true"}, headers=auditor)
    ).json()
    assert hidden["complainant"]["name"] == "***"
    assert hidden["complainant"]["confidential"] is True
    assert hidden["revealed"] is False
    audit = (await intake.http.get(f"/v1/complaints/{informant['id']}/reveals", headers=auditor)).json()
    assert [a["outcome"] for a in audit] == ["withheld"]


ALL_ROLES = ("submitter", "handler", "supervisor", "auditor")


async def test_conf_01_conf_02_tobacco_informant_identity_never_leaves_intake_unsealed(intake: Intake) -> None:
    """CONF-01, CONF-02: a report's (舉報) informant is recorded, sealed, and shown to nobody: not in an answer, not
    on any event intake emits (accepted or refused), not even to the auditor who asks for a reveal (withheld, and
    the attempt audited)."""
    units = await intake.world(tag(), "tobacco-bureau")
    informant = {"name": "孙九", "phone": "13311112222", "id_number": "210102198001011234", "account": "62220000111122"}
    report = complaint(
        "tobacco-bureau",
        units["root"],
        kind="report",
        channel="hotline",
        category="monopoly_enforcement",
        complainant=informant,
    )
    incomplete = {k: v for k, v in report.items() if k != "facts"}
    async with EventSpy(intake.amqp_url, f"*.*.{units['root']}") as spy:
        created = await intake.http.post("/v1/complaints", json=report, headers=intake.key(units["root"]))
        refused = await intake.http.post("/v1/complaints", json=incomplete, headers=intake.key(units["root"]))
        assert (created.status_code, refused.status_code) == (201, 422), refused.text
        received = (await spy.wait_for("complaint.received"))[0]
        await spy.wait_for("complaint.rejected")
    assert received.data["confidential"] is True
    auditor = intake.as_(units["root"], *ALL_ROLES)
    url = f"/v1/complaints/{created.json()['id']}"
    shown = await intake.http.get(url, params={"reveal": "true"}, headers=auditor)
    audit = await intake.http.get(f"{url}/reveals", headers=auditor)
    assert shown.json()["revealed"] is False
    assert {shown.json()["complainant"][k] for k in informant} == {"***"}
    assert [a["outcome"] for a in audit.json()] == ["withheld"]
    outward = [e.model_dump_json() for e in spy.events] + [created.text, refused.text, shown.text, audit.text]
    for value in informant.values():
        assert not any(value in text for text in outward), value


async def test_conf_01_conf_02_an_informants_keyed_hash_never_leaves_intake(intake: Intake) -> None:
    """Intake still links the same informant's reports (INT-30 repeat, from the keyed hash in its own table), but no
    event it emits for a confidential report, received, repeated or refused, carries `complainant_ref`: whoever reads
    the bus cannot link an informant's reports. The same person's ordinary complaint still carries it."""
    units = await intake.world(tag(), "tobacco-bureau")
    informant = {"name": "李四", "phone": "13322223333"}
    report = complaint(
        "tobacco-bureau",
        units["root"],
        kind="report",
        channel="hotline",
        category="monopoly_enforcement",
        complainant=informant,
    )

    async def post(body: dict[str, Any]) -> httpx.Response:
        return await intake.http.post("/v1/complaints", json=body, headers=intake.key(units["root"]))

    async with EventSpy(intake.amqp_url, f"*.*.{units['root']}") as spy:
        first = await post(report)
        second = await post({**report, "received_at": "2026-03-03T10:00:00+08:00"})
        refused = await post({k: v for k, v in report.items() if k != "facts"})
        ordinary = await post(complaint("tobacco-bureau", units["root"], complainant=informant))
        assert [r.status_code for r in (first, second, refused, ordinary)] == [201, 201, 422, 201], refused.text
        assert second.json()["repeat"]["parent_complaint_id"] == first.json()["id"]
        await spy.wait_for("complaint.repeat_detected")
        await spy.wait_for("complaint.rejected")
        await spy.wait_for("complaint.received", lambda e: e.complaint_id == ordinary.json()["id"])
    received = {e.complaint_id: e.data for e in spy.of("complaint.received")}
    assert [received[r.json()["id"]]["complainant_ref"] for r in (first, second)] == [None, None]
    assert spy.of("complaint.repeat_detected")[0].data["complainant_ref"] is None
    assert spy.of("complaint.rejected")[0].data["complainant_ref"] is None
    assert received[ordinary.json()["id"]]["complainant_ref"]


async def test_org_24_tobacco_accepts_enterprises_retail_customers_consumers_and_staff(intake: Intake) -> None:
    """ORG-24: who may complain, consult, suggest or report; a complainant of another category is refused with the
    field and the rule, one who states no category is accepted."""
    units = await intake.world(tag(), "tobacco-bureau")

    async def post(n: int, category: str | None) -> httpx.Response:
        person = {"name": "钱七", "phone": f"135000000{n:02d}", **({"category": category} if category else {})}
        body = complaint("tobacco-bureau", units["root"], complainant=person)
        return await intake.http.post("/v1/complaints", json=body, headers=intake.key(units["root"]))

    for n, category in enumerate(["industrial_enterprise", "retail_customer", "consumer", "internal_staff", None]):
        accepted = await post(n, category)
        assert accepted.status_code == 201, (category, accepted.text)
    refused = await post(9, "wholesaler")
    assert refused.status_code == 422, refused.text
    assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [("complainant.category", "ORG-24")]


@pytest.mark.parametrize("regime", ["tobacco-bureau", "bank-call-centre-csr"])
async def test_conf_03_arc_09_conf_07_records_stay_with_the_units_they_concern_and_reveals_need_approval(
    intake: Intake, regime: str
) -> None:
    """CONF-03 / ARC-09 (tobacco: records kept centrally, never lent out without approval) and CONF-07 (call centre:
    no customer information outside the centre): only the units a complaint concerns and those above them see it;
    a sibling unit of the same organisation and another organisation answer 404 on every read whatever their roles;
    inside, personal data is masked and only the auditor's reveal (the approval) unmasks it, audited."""
    units = await intake.world(tag(), regime)
    stranger = (await intake.world(tag(), regime))["root"]
    body = complaint(regime, units["outlet"], complainant={"name": "周十", "phone": "13233334444"})
    created = await intake.http.post("/v1/complaints", json=body, headers=intake.key(units["root"]))
    assert created.status_code == 201, created.text
    url = f"/v1/complaints/{created.json()['id']}"
    for outsider in (units["sibling"], stranger):
        for params, path in (({}, url), ({"reveal": "true"}, url), ({}, f"{url}/reveals")):
            response = await intake.http.get(path, params=params, headers=intake.as_(outsider, *ALL_ROLES))
            assert response.status_code == 404, (outsider, path, params)
            assert "13233334444" not in response.text
    for unit in ("root", "county", "outlet"):
        record = await intake.http.get(url, headers=intake.as_(units[unit], "handler"))
        assert record.json()["complainant"]["phone"] == "132****4444", unit
    handler = await intake.http.get(url, params={"reveal": "true"}, headers=intake.as_(units["outlet"], "handler"))
    assert handler.status_code == 403
    approved = await intake.http.get(url, params={"reveal": "true"}, headers=intake.as_(units["county"], "auditor"))
    assert approved.json()["complainant"]["phone"] == "13233334444"
    audit = (await intake.http.get(f"{url}/reveals", headers=intake.as_(units["root"], "auditor"))).json()
    assert [(a["caller_org"], a["outcome"]) for a in audit] == [(units["county"], "revealed")]


async def test_conf_05_conf_09_fund_sales_calls_name_their_recording_and_each_use_of_holder_data_is_recorded(
    intake: Intake,
) -> None:
    """CONF-09: a complaint call without its recording is refused naming `recording_ref` and the rule (and a
    `complaint.rejected` says so). CONF-05: the holder's data is shown masked; unmasking needs the auditor role
    (a defined permission) and every reveal leaves a record of who saw which fields, itself readable only by
    auditors."""
    units = await intake.world(tag(), "fund-sales")
    holder = {"name": "吴十一", "phone": "13144445555", "account": "6228480000001111"}
    body = complaint("fund-sales", units["outlet"], channel="hotline", complainant=holder, category="fees")
    async with EventSpy(intake.amqp_url, f"complaint.rejected.{units['root']}") as spy:
        refused = await intake.http.post("/v1/complaints", json=body, headers=intake.key(units["root"]))
        assert refused.status_code == 422
        assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [("recording_ref", "CONF-09")]
        rejected = (await spy.wait_for("complaint.rejected"))[0]
        assert [(r["field"], r["rule"]) for r in rejected.data["reasons"]] == [("recording_ref", "CONF-09")]
    recorded = {**body, "recording_ref": "rec-2026-000042"}
    created = await intake.http.post("/v1/complaints", json=recorded, headers=intake.key(units["root"]))
    assert created.status_code == 201, created.text
    url = f"/v1/complaints/{created.json()['id']}"
    record = (await intake.http.get(url, headers=intake.as_(units["outlet"], "handler", "supervisor"))).json()
    assert (record["recording_ref"], record["complainant"]["account"]) == ("rec-2026-000042", "622*********1111")
    for roles in (("handler",), ("supervisor",), ("submitter",)):
        denied = await intake.http.get(url, params={"reveal": "true"}, headers=intake.as_(units["outlet"], *roles))
        assert denied.status_code == 403, roles
        assert (await intake.http.get(f"{url}/reveals", headers=intake.as_(units["root"], *roles))).status_code == 403
    for unit in ("root", "county"):
        shown = await intake.http.get(url, params={"reveal": "true"}, headers=intake.as_(units[unit], "auditor"))
        assert shown.json()["complainant"]["account"] == holder["account"]
    audit = (await intake.http.get(f"{url}/reveals", headers=intake.as_(units["root"], "auditor"))).json()
    assert [(a["caller_org"], a["fields"], a["outcome"]) for a in audit] == [
        (units["root"], ["account", "name", "phone"], "revealed"),
        (units["county"], ["account", "name", "phone"], "revealed"),
    ]
    assert not any(value in str(audit) for value in holder.values())


async def test_arc_13_a_call_centre_call_is_kept_with_its_complete_content_and_call_type(intake: Intake) -> None:
    """ARC-13: after each call the representative records its complete content and its type; a call record without
    the content is refused naming the field, and the kept record returns both."""
    units = await intake.world(tag(), "bank-call-centre-csr")
    call = complaint("bank-call-centre-csr", units["outlet"], channel="hotline", kind="consultation")
    empty = {k: v for k, v in call.items() if k != "facts"}
    refused = await intake.http.post("/v1/complaints", json=empty, headers=intake.key(units["root"]))
    assert refused.status_code == 422
    assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [("facts", "INT-58")]
    created = await intake.http.post("/v1/complaints", json=call, headers=intake.key(units["root"]))
    assert created.status_code == 201, created.text
    kept = (await intake.http.get(f"/v1/complaints/{created.json()['id']}", headers=intake.as_(units["root"]))).json()
    assert (kept["facts"], kept["kind"], kept["channel"]) == (call["facts"], "consultation", "hotline")
    assert (kept["received_at"], kept["receiver_staff"]) == ("2026-03-02T10:00:00+08:00", "emp-1")


# -- ingress (CONTRACT §9) --------------------------------------------------------------------------------------------


async def test_contract9_ingress_submission_is_answered_and_an_invalid_one_answered_and_parked(intake: Intake) -> None:
    units = await intake.world(tag(), "futures-company", ingress_user="guest")
    exchange = await intake.channel.get_exchange(INGRESS_EXCHANGE)
    replies = await intake.channel.declare_queue(exclusive=True)
    valid = complaint("futures-company", units["root"], channel="phone")
    invalid = {**valid, "channel": "sms", "complainant": {"name": "孙八", "phone": "13411112222"}}
    for body, key in ((valid, "crm-1"), (invalid, "crm-2")):
        await exchange.publish(
            aio_pika.Message(
                orjson.dumps(body),
                message_id=key,
                user_id="guest",
                reply_to=replies.name,
                correlation_id=key,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            SUBMIT_KEY,
        )
    answers: dict[str, dict[str, Any]] = {}
    async with replies.iterator(timeout=15) as messages:
        async for message in messages:
            async with message.process():
                answers[str(message.correlation_id)] = orjson.loads(message.body)
            if len(answers) == 2:
                break
    assert answers["crm-1"]["status"] == "received"
    assert answers["crm-1"]["reference"].startswith(units["root"].upper())
    assert answers["crm-2"]["status"] == 422
    assert answers["crm-2"]["errors"][0] == {
        "field": "channel",
        "message": answers["crm-2"]["errors"][0]["message"],
        "rule": "INT-06",
    }

    dlq = await intake.channel.get_queue(parking_queue(ingress_queue(SUBMIT_KEY)))

    async def parked() -> aio_pika.abc.AbstractIncomingMessage | None:
        return await dlq.get(fail=False, no_ack=False)

    message = await eventually(parked, timeout=10)
    assert message.message_id == "crm-2"
    assert "channel" in str(message.headers["x-tousu-reason"])
    assert "INT-06" in str(message.headers["x-tousu-reason"])
    parked_body = orjson.loads(message.body)
    assert parked_body["channel"] == "sms"
    assert parked_body["complainant"] == {"name": "[redacted]", "phone": "[redacted]"}
    assert "孙八" not in message.body.decode()
    assert "13411112222" not in message.body.decode()
    await message.nack(requeue=True)


# -- large-scale complaints (CBRC 十五, RTE-11, AS-24) ----------------------------------------------------------------


async def test_as24_rte11_large_scale_complaints_about_one_product_are_detected_once(intake: Intake) -> None:
    """120 customers within 48 h about the same wealth product; the regime's threshold: 100 in 48 h (CONV-10: ≥)."""
    units = await intake.world(tag(), "cbrc-2012-banking")
    gate = asyncio.Semaphore(8)

    async def one(i: int) -> httpx.Response:
        body = complaint(
            "cbrc-2012-banking",
            units["outlet"],
            category="wealth_management",
            product="wm-2026-17",
            received_at=f"2026-11-0{3 + i // 60}T{8 + (i % 60) // 6:02d}:{(i % 6) * 10:02d}:00+08:00",
            complainant={"name": f"客户{i}", "phone": f"1380000{i:04d}"},
            facts="The wealth product's value collapsed.",
        )
        async with gate:
            return await intake.http.post("/v1/complaints", json=body, headers=intake.key(units["root"]))

    async with EventSpy(intake.amqp_url, f"complaint.*.{units['root']}") as spy:
        answers = await asyncio.gather(*(one(i) for i in range(99)))
        assert {a.status_code for a in answers} == {201}
        assert not any(a.json()["classification"]["large_scale"] for a in answers)
        hundredth = await one(99)
        assert hundredth.json()["classification"]["large_scale"] is True
        detected = (await spy.wait_for("complaint.large_scale_detected", timeout=15))[0]
        assert detected.data["count"] == 100
        assert detected.data["threshold"] == 100
        assert detected.data["window_hours"] == 48
        assert detected.data["respondent_unit"] == units["outlet"]
        assert detected.data["category"] == "wealth_management"
        assert "product=wm-2026-17" in detected.data["group_key"]
        assert len(detected.data["complaint_ids"]) == 100
        assert hundredth.json()["id"] in detected.data["complaint_ids"]
        more = await asyncio.gather(*(one(i) for i in range(100, 120)))
        assert all(a.json()["classification"]["large_scale"] for a in more)
        last = max(more, key=lambda a: str(a.json()["reference"])).json()["id"]
        # intake relays its events in order: once the last complaint's is out, a second alert would be too
        await spy.wait_for("complaint.received", lambda e: e.complaint_id == last, timeout=15)
        assert len(spy.of("complaint.large_scale_detected")) == 1
        # another product of the same unit is another group
        other = await intake.http.post(
            "/v1/complaints",
            json=complaint("cbrc-2012-banking", units["outlet"], category="wealth_management", product="wm-2026-18"),
            headers=intake.key(units["root"]),
        )
        assert other.json()["classification"]["large_scale"] is False


# -- regimes (CONTRACT §2) --------------------------------------------------------------------------------------------


async def test_contract2_regimes_are_described_from_their_policies(intake: Intake) -> None:
    headers = intake.as_("anyone", "submitter")
    listed = (await intake.http.get("/v1/regimes", headers=headers)).json()
    assert "credit-union-province" in [r["id"] for r in listed]
    one = (await intake.http.get("/v1/regimes/credit-union-province", headers=headers)).json()
    assert set(one) >= {"id", "version", "kinds", "categories", "stages", "reports"}
    assert {"id": "fees", "name": "Fee objection"} in one["categories"]
    assert any(s["id"] == "OUTLET" and s["clock"] == "working_days" and s["length"] == 1 for s in one["stages"])
    assert (await intake.http.get("/v1/regimes/no-such-regime", headers=headers)).status_code == 404
    assert (await intake.http.get("/v1/regimes")).status_code == 401


# -- robustness: no 5xx whatever the body (a seeded stand-in for schemathesis, which is not installed) -----------------


def _junk(rng: random.Random, depth: int = 0) -> Any:
    choices: list[Any] = [
        None,
        True,
        rng.randint(-(10**20), 10**20),
        rng.random() * 1e300,
        "",
        "a\x00b",
        "\ud800",
        "x" * rng.randint(0, 30_000),
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "2026-02-30T10:00:00+08:00",
        "NaN",
        "-1",
        "../..",
        "complaint",
    ]
    if depth < 2:
        choices += [[_junk(rng, depth + 1) for _ in range(3)], {"k": _junk(rng, depth + 1), "unit": "x"}]
    return rng.choice(choices)


async def test_contract4_any_body_on_any_intake_endpoint_is_a_problem_never_a_server_error(intake: Intake) -> None:
    units = await intake.world(tag(), "mobile-operator-si")
    valid = complaint("mobile-operator-si", units["root"], kind="fault_report", category="system_fault", fault={})
    created = (await intake.http.post("/v1/complaints", json=valid, headers=intake.key(units["root"]))).json()
    rng = random.Random(20260430)
    fields = [*valid, "complainant.name", "respondent.unit", "fault.severity", "resolved_at_intake", "disputed_amount"]
    paths = [
        "withdrawal",
        "reconsideration",
        "reclassification",
    ]
    for i in range(100):
        body: Any = json.loads(json.dumps(valid))
        for field in rng.sample(fields, rng.randint(1, 3)):
            head, _, tail = field.partition(".")
            if tail and isinstance(body.get(head), dict):
                body[head][tail] = _junk(rng)
            else:
                body[head] = _junk(rng)
        if i % 25 == 0:
            body = _junk(rng)
        raw = json.dumps(body, allow_nan=True)
        headers = {**intake.key(units["root"]), "Content-Type": "application/json"}
        r = await intake.http.post("/v1/complaints", content=raw, headers=headers)
        assert r.status_code < 500, (i, r.status_code, r.text[:300])
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json"), (i, r.headers)
            assert r.json()["errors"] or r.status_code != 422, (i, r.text[:300])
        target = rng.choice([created["id"], "not-a-uuid", str(uuid.uuid4())])
        r = await intake.http.post(
            f"/v1/complaints/{target}/{rng.choice(paths)}",
            content=json.dumps({"requested_at": _junk(rng), "at": _junk(rng), "lodged_with": _junk(rng)}),
            headers=headers,
        )
        assert r.status_code < 500, (i, r.status_code, r.text[:300])
