"""Intake's HTTP API (CONTRACT §4)."""

from typing import Annotated, Any
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from tousu.intake.adapters import tables as t
from tousu.intake.adapters.crypto import mask
from tousu.intake.domain.submission import Submission
from tousu.intake.entrypoints.context import IntakeContext
from tousu.intake.service_layer.submit import body_hash, submit
from tousu.kit.auth import OrgTree
from tousu.kit.errors import NotFoundError
from tousu.kit.http import PROBLEM, Caller, Runtime, require

router = APIRouter(prefix="/v1", tags=["complaints"])


def context(request: Request) -> IntakeContext:
    ctx: IntakeContext = request.app.state.intake
    return ctx


@router.post("/complaints", status_code=201)
async def post_complaint(
    submission: Submission,
    request: Request,
    caller: Caller,
    runtime: Runtime,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200)],
) -> JSONResponse:
    require(caller, "submitter", "handler", "supervisor")
    ctx = context(request)
    async with runtime.unit_of_work() as uow:
        outcome = await submit(
            uow,
            submission=submission,
            submitter_org=caller.org,
            idempotency_key=idempotency_key,
            fingerprint=body_hash(submission.model_dump(mode="json")),
            policies=ctx.policies,
            vault=ctx.vault,
            keep_keys=ctx.keep_keys,
        )
    media = PROBLEM if outcome.status >= 400 else "application/json"
    return JSONResponse(outcome.body, status_code=outcome.status, media_type=media)


@router.get("/complaints/{complaint_id}")
async def get_complaint(complaint_id: UUID, caller: Caller, runtime: Runtime, request: Request) -> dict[str, Any]:
    ctx = context(request)
    async with runtime.unit_of_work() as uow:
        row = (await uow.session.execute(sa.select(t.complaints).where(t.complaints.c.id == complaint_id))).first()
        parents = dict((await uow.session.execute(sa.select(t.orgs.c.id, t.orgs.c.parent))).tuples().all())
    units = [row.receiving_unit, row.respondent_unit, row.submitted_by] if row is not None else []
    if row is None or not OrgTree(parents).sees(caller, units):
        raise NotFoundError("no such complaint")
    personal: dict[str, Any] = {}
    if row.personal_data is not None and row.key_id is not None:
        personal = ctx.vault.open(row.personal_data, row.key_id, aad=str(row.id))
    record = dict(row.record)
    record["complainant"] = {**record.get("complainant", {}), **{k: mask(str(v)) for k, v in personal.items()}}
    return {
        "id": str(row.id),
        "reference": row.reference,
        "status": row.status,
        "tenant": row.tenant,
        "regime": row.regime,
        "policy_version": row.policy_version,
        "classification": row.classification,
        **record,
    }
