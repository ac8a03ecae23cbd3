"""`tousu.ingress` `complaint.submit` (CONTRACT §9): the same submission as POST /v1/complaints, from another system.

The RabbitMQ-validated `user_id` is mapped by the registry's `ingress_users` to an organisation and its roles; the
message id is the Idempotency-Key. The outcome goes to `reply_to`; a refused message is answered *and* parked with
its reason, never dropped. A parked body keeps its shape but not the complainant's personal data or free texts.
"""

from typing import Any

import orjson

from tousu.intake.service_layer.context import IntakeContext
from tousu.intake.service_layer.orgs import SUBMITTING_ROLES, ingress_principal
from tousu.intake.service_layer.submit import Outcome, problem, submit
from tousu.kit.consumer import Delivery, Handler
from tousu.kit.errors import FieldError
from tousu.kit.uow import UnitOfWork

REDACTED = "[redacted]"
# Values a parked body may keep: the shape an operator needs to see what was wrong, nothing that names a person.
_KEPT = frozenset(
    {"regime", "received_at", "receiving_unit", "channel", "kind", "category", "priority", "authority", "flags"}
)
_KEPT_NESTED = {
    "complainant": frozenset({"standing", "confidential"}),
    "respondent": frozenset({"unit"}),
    "fault": frozenset({"service_stopped", "blocks_normal_use", "root_cause_domain", "severity"}),
    "disputed_amount": frozenset({"amount", "currency"}),
}


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= 100)


def _redact_value(key: str, value: Any) -> Any:
    if key in _KEPT_NESTED and isinstance(value, dict):
        kept = _KEPT_NESTED[key]
        return {k: v if k in kept and _scalar(v) else REDACTED for k, v in value.items()}
    if key == "flags" and isinstance(value, dict):
        return {k: v if isinstance(v, bool) else REDACTED for k, v in value.items()}
    return value if key in _KEPT and _scalar(value) else REDACTED


def redact_submission(body: bytes) -> bytes:
    """ServiceSpec.ingress_redact: what of a refused submission may sit in the parking queue (ARCHITECTURE §7)."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        return orjson.dumps({"redacted": "the body was not JSON"})
    if not isinstance(raw, dict):
        return orjson.dumps({"redacted": "the body was not a JSON object"})
    return orjson.dumps({str(k): _redact_value(str(k), v) for k, v in raw.items()})


def submit_handler(ctx: IntakeContext) -> Handler:
    async def on_submit(uow: UnitOfWork, delivery: Delivery) -> None:
        sender = delivery.sender or ""
        caller = await ingress_principal(uow, sender)
        key = str(delivery.message.message_id or "")
        if caller is None or not caller.has_any(SUBMITTING_ROLES):
            error = FieldError(
                "user_id", "not an ingress user of one organisation with a submitting role", "CONTRACT §9"
            )
            outcome = Outcome(403, problem("the sender may not submit complaints", [error], status=403))
        else:
            outcome = await submit(uow, ctx, delivery.body, caller, key)
        reply_to = delivery.message.reply_to
        if reply_to:
            uow.reply(reply_to, delivery.message.correlation_id, outcome.body)
        if outcome.failed:
            uow.park(outcome.park_reason())

    return on_submit
