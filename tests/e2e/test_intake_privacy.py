"""Personal data through the whole platform (ARCHITECTURE §7, CONF-04): a canary hunt, and tenant isolation.

The canary plants recognisable personal data, runs a full flow (accepted over HTTP and over the bus, a refused
submission answered with an error, a refused bus message parked, a withdrawal whose reason quotes the phone number,
routing's and sla's reactions, the auditor's reveal), then looks for it in every service's log, every event, the parked
message and every answer except the audited reveal.
"""

import asyncio
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import aio_pika
import httpx
import orjson
import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_intake_scenarios import complaint, world
from tousu.contracts.topology import INGRESS_EXCHANGE, SUBMIT_KEY, ingress_queue, parking_queue
from tousu.kit.auth import issue_token
from tousu.kit.platform import Platform
from tousu.kit.settings import DEV_TOKEN_SECRET
from tousu.kit.testing.plugin import eventually
from tousu.kit.testing.spy import EventSpy

pytestmark = pytest.mark.e2e


@contextmanager
def rabbitmq_user(amqp_url: str) -> Iterator[tuple[str, str]]:
    """A RabbitMQ user of its own on the test vhost (an integration's account), and its AMQP URL."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("needs rabbitmqctl to create an ingress user")
    parts = urlsplit(amqp_url)
    vhost = unquote(parts.path.lstrip("/")) or "/"
    user, password = f"crm-{uuid.uuid4().hex[:8]}", secrets.token_hex(12)
    run = ["rabbitmqctl", "-q"]
    subprocess.run([*run, "add_user", user, password], check=True, capture_output=True)
    try:
        subprocess.run([*run, "set_permissions", "-p", vhost, user, ".*", ".*", ".*"], check=True, capture_output=True)
        netloc = f"{user}:{password}@{parts.hostname}:{parts.port or 5672}"
        yield user, urlunsplit(parts._replace(netloc=netloc))
    finally:
        subprocess.run([*run, "delete_user", user], check=False, capture_output=True)


def token(org: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(DEV_TOKEN_SECRET, org, roles)}"}


async def test_conf04_canary_personal_data_never_in_logs_events_parked_messages_or_answers(
    platform: Platform, api: dict[str, httpx.AsyncClient], amqp_url: str
) -> None:
    digits = f"{secrets.randbelow(10**8):08d}"
    canary = {
        "name": f"金丝雀{digits}",
        "phone": f"139{digits}",
        "id_number": f"1101011990{digits}",
        "account": f"6222{digits}{digits[:7]}",
        "address": f"金丝雀路{digits}号",
    }
    planted = list(canary.values())
    answers: list[str] = []
    intake = api["intake"]

    with rabbitmq_user(amqp_url) as (user, user_url):
        units = await world(api, f"canary-{digits[:5]}", "futures-company", ingress_user=user)
        root = units["root"]
        body = complaint(
            "futures-company",
            root,
            channel="phone",
            complainant={**canary, "standing": "direct"},
            received_at="2026-07-01T10:00:00+08:00",
        )
        async with EventSpy(amqp_url) as spy:
            created = await intake.post("/v1/complaints", json=body, headers={"Idempotency-Key": f"canary-{digits}"})
            assert created.status_code == 201, created.text
            complaint_id = created.json()["id"]
            answers.append(created.text)
            refused = await intake.post(
                "/v1/complaints",
                json={**body, "channel": "sms", "kind": "no-such-kind", "complainant": {**canary, "nickname": "x"}},
                headers={"Idempotency-Key": f"canary-bad-{digits}"},
            )
            assert refused.status_code == 422
            answers.append(refused.text)
            unacceptable = await intake.post(
                "/v1/complaints", json={**body, "channel": "sms"}, headers={"Idempotency-Key": f"canary-sms-{digits}"}
            )
            assert unacceptable.status_code == 422
            answers.append(unacceptable.text)

            # the same over the bus: one accepted, one refused (answered and parked)
            connection = await aio_pika.connect_robust(user_url)
            async with connection:
                channel = await connection.channel()
                replies = await channel.declare_queue(exclusive=True)
                exchange = await channel.get_exchange(INGRESS_EXCHANGE)
                for key, message in ((f"crm-ok-{digits}", body), (f"crm-bad-{digits}", {**body, "channel": "sms"})):
                    await exchange.publish(
                        aio_pika.Message(
                            orjson.dumps(message),
                            message_id=key,
                            user_id=user,
                            reply_to=replies.name,
                            correlation_id=key,
                        ),
                        SUBMIT_KEY,
                    )
                got: dict[str, bytes] = {}
                async with replies.iterator(timeout=15) as messages:
                    async for reply in messages:
                        async with reply.process():
                            got[str(reply.correlation_id)] = reply.body
                        if len(got) == 2:
                            break
            assert orjson.loads(got[f"crm-ok-{digits}"])["status"] == "received"
            assert orjson.loads(got[f"crm-bad-{digits}"])["status"] == 422
            answers += [b.decode() for b in got.values()]

            masked = await intake.get(f"/v1/complaints/{complaint_id}")
            assert masked.json()["complainant"]["phone"] == f"139****{digits[-4:]}"
            answers.append(masked.text)
            revealed = await intake.get(f"/v1/complaints/{complaint_id}", params={"reveal": "true"})
            assert revealed.json()["complainant"]["phone"] == canary["phone"]  # the audited exception
            audit = await intake.get(f"/v1/complaints/{complaint_id}/reveals")
            assert [a["outcome"] for a in audit.json()] == ["revealed"]
            answers.append(audit.text)
            withdrawn = await intake.post(
                f"/v1/complaints/{complaint_id}/withdrawal",
                json={"requested_at": "2026-07-01T10:30:00+08:00", "reason": f"customer on {canary['phone']} is happy"},
            )
            assert withdrawn.status_code == 200, withdrawn.text
            answers.append(withdrawn.text)
            await spy.wait_for("complaint.withdrawn", lambda e: e.complaint_id == complaint_id)
            await spy.wait_for("complaint.assigned", lambda e: e.complaint_id == complaint_id, timeout=15)

            dlq = await channel_get_parked(amqp_url, f"crm-bad-{digits}")
        events = [e.model_dump_json() for e in spy.events]

    assert dlq is not None, "the refused bus message was not parked"
    parked_body, parked_reason = dlq
    assert "channel" in parked_reason
    logs = "".join(p.read_text(encoding="utf-8", errors="replace") for p in (ARTIFACTS / "logs").glob("*.log"))
    assert '"service": "intake"' in logs
    for value in planted:
        assert value not in logs, "personal data in a log"
        assert not any(value in e for e in events), "personal data in an event"
        assert value not in parked_body, "personal data in a parked message"
        assert value not in parked_reason, "personal data in a parking reason"
        assert not any(value in a for a in answers), "personal data in an answer"
    assert any(complaint_id in e for e in events)


async def channel_get_parked(amqp_url: str, message_id: str) -> tuple[str, str] | None:
    """The parked message's body and reason, left in the parking queue."""
    connection = await aio_pika.connect_robust(amqp_url)
    async with connection:
        channel = await connection.channel()
        dlq = await channel.get_queue(parking_queue(ingress_queue(SUBMIT_KEY)))

        async def find() -> tuple[str, str] | None:
            seen: list[aio_pika.abc.AbstractIncomingMessage] = []
            found = None
            while (message := await dlq.get(fail=False, no_ack=False)) is not None:
                seen.append(message)
                if message.message_id == message_id:
                    found = (message.body.decode(), str((message.headers or {}).get("x-tousu-reason", "")))
            for message in seen:
                await message.nack(requeue=True)
            return found

        return await eventually(find, timeout=10)


async def test_conf04_contract3_another_tenants_complaints_answer_404_on_every_intake_endpoint(
    platform: Platform, api: dict[str, httpx.AsyncClient]
) -> None:
    regime = "credit-union-province"
    tag = uuid.uuid4().hex[:5]
    bank_a, bank_b = await asyncio.gather(world(api, f"xa-{tag}", regime), world(api, f"xb-{tag}", regime))
    intake = api["intake"]
    body = complaint(regime, bank_b["outlet"])
    created = await intake.post(
        "/v1/complaints", json=body, headers={**token(bank_b["root"], "submitter"), "Idempotency-Key": "x-1"}
    )
    assert created.status_code == 201, created.text
    b_id = created.json()["id"]
    everything = token(bank_a["root"], "submitter", "handler", "supervisor", "auditor")
    calls: list[tuple[str, str, dict[str, Any] | None, dict[str, str] | None]] = [
        ("GET", f"/v1/complaints/{b_id}", None, None),
        ("GET", f"/v1/complaints/{b_id}", None, {"reveal": "true"}),
        ("GET", f"/v1/complaints/{b_id}/reveals", None, None),
        ("POST", f"/v1/complaints/{b_id}/withdrawal", {"requested_at": "2026-05-01T10:00:00+08:00"}, None),
        (
            "POST",
            f"/v1/complaints/{b_id}/reconsideration",
            {"requested_at": "2026-05-01T10:00:00+08:00", "lodged_with": bank_a["root"]},
            None,
        ),
        (
            "POST",
            f"/v1/complaints/{b_id}/reclassification",
            {"at": "2026-05-01T10:00:00+08:00", "reason": "x", "priority": "major"},
            None,
        ),
    ]
    for method, url, payload, params in calls:
        response = await intake.request(method, url, json=payload, params=params, headers=everything)
        assert response.status_code == 404, (method, url, response.status_code)
        assert body["complainant"]["phone"] not in response.text
    # bank A cannot submit for bank B's units, nor name bank B's complaint as a parent
    foreign = await intake.post(
        "/v1/complaints", json=body, headers={**token(bank_a["root"], "submitter"), "Idempotency-Key": "x-2"}
    )
    assert foreign.status_code == 403
    parent = await intake.post(
        "/v1/complaints",
        json={**complaint(regime, bank_a["outlet"]), "parent_complaint_id": b_id},
        headers={**token(bank_a["root"], "submitter"), "Idempotency-Key": "x-3"},
    )
    assert parent.status_code == 422
    assert parent.json()["errors"][0]["field"] == "parent_complaint_id"
    # bank B's own staff, and a unit above the outlet, see it
    own = await intake.get(f"/v1/complaints/{b_id}", headers=token(bank_b["county"], "handler"))
    assert own.status_code == 200
    assert (await intake.get(f"/v1/complaints/{b_id}", headers=token(bank_b["outlet"], "handler"))).status_code == 200
    assert (await intake.get(f"/v1/complaints/{b_id}", headers=token(bank_a["outlet"], "auditor"))).status_code == 404
