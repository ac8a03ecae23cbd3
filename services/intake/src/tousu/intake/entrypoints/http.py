"""Intake's HTTP API (CONTRACT §2 regimes, §4 complaints). Thin: each route is one use-case call."""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from tousu.intake.domain.submission import Submission
from tousu.intake.entrypoints import schemas
from tousu.intake.service_layer import complaints
from tousu.intake.service_layer.complaints import Reclassification, Reconsideration, Withdrawal, parse_id
from tousu.intake.service_layer.context import IntakeContext
from tousu.intake.service_layer.orgs import SUBMITTING_ROLES
from tousu.intake.service_layer.submit import Outcome, submit
from tousu.kit.auth import Principal
from tousu.kit.http import PROBLEM, Caller, Runtime, principal, require, runtime_of

ACTING_ROLES = ("submitter", "handler", "supervisor")
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


def context(request: Request) -> IntakeContext:
    ctx: IntakeContext = request.app.state.intake
    return ctx


def answer(outcome: Outcome) -> JSONResponse:
    return JSONResponse(outcome.body, status_code=outcome.status, media_type=PROBLEM if outcome.failed else None)


async def _submit(request: Request, caller: Principal, key: str, raw: Any) -> JSONResponse:
    require(caller, *SUBMITTING_ROLES)
    async with runtime_of(request).unit_of_work() as uow:
        outcome = await submit(uow, context(request), raw, caller, key)
    return answer(outcome)


class SubmissionRoute(APIRoute):
    """A body that fails the schema is still a submission: it gets the same idempotent answer, and the receiving
    unit's tenant a `complaint.rejected`, exactly as over the bus (CONTRACT §9)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                key = request.headers.get("idempotency-key", "")
                if not 0 < len(key) <= 200 or any(e.get("type") == "json_invalid" for e in exc.errors()):
                    raise
                try:
                    raw = orjson.loads(await request.body())
                except orjson.JSONDecodeError:
                    raise exc from None
                return await _submit(request, await principal(request), key, raw)

        return route


submissions = APIRouter(prefix="/v1", tags=["complaints"], route_class=SubmissionRoute)
router = APIRouter(prefix="/v1", tags=["complaints"])


@submissions.post(
    "/complaints",
    status_code=201,
    response_model=schemas.SubmissionAnswer,
    responses=schemas.problems(401, 403, 422)
    | {200: {"model": schemas.SubmissionAnswer, "description": "the first answer to this key and body"}},
)
async def post_complaint(
    submission: Submission, request: Request, caller: Caller, idempotency_key: IdempotencyKey
) -> JSONResponse:
    """Submit a complaint (CONTRACT §4). The schema is checked here and again, with the regime's rules, by the
    use case, which answers for both."""
    return await _submit(request, caller, idempotency_key, orjson.loads(await request.body()))


@router.get(
    "/complaints/{complaint_id}",
    response_model=schemas.ComplaintRecord,
    responses=schemas.problems(401, 403, 404, 422),
)
async def get_complaint(
    complaint_id: str,
    request: Request,
    caller: Caller,
    runtime: Runtime,
    reveal: Annotated[bool, Query(description="unmask personal data (auditor role; audited)")] = False,
) -> dict[str, Any]:
    async with runtime.unit_of_work() as uow:
        return await complaints.view(uow, context(request), caller, parse_id(complaint_id), reveal)


@router.get(
    "/complaints/{complaint_id}/reveals",
    response_model=list[schemas.RevealEntry],
    responses=schemas.problems(401, 403, 404, 422),
)
async def get_reveals(complaint_id: str, caller: Caller, runtime: Runtime) -> list[dict[str, Any]]:
    """The audit trail of every reveal of the complaint's personal data (auditor)."""
    async with runtime.unit_of_work() as uow:
        return await complaints.reveals(uow, caller, parse_id(complaint_id))


@router.post(
    "/complaints/{complaint_id}/withdrawal",
    response_model=schemas.WithdrawalAnswer,
    responses=schemas.problems(401, 403, 404, 409, 422),
)
async def post_withdrawal(
    complaint_id: str, body: Withdrawal, request: Request, caller: Caller, runtime: Runtime
) -> JSONResponse:
    """LC-10: 200 before the transfer, 409 (and `complaint.withdrawal_refused`) after."""
    require(caller, *ACTING_ROLES)
    await context(request).inbound.settled()
    async with runtime.unit_of_work() as uow:
        outcome = await complaints.withdraw(uow, context(request), caller, parse_id(complaint_id), body)
    return answer(outcome)


@router.post(
    "/complaints/{complaint_id}/reconsideration",
    status_code=201,
    response_model=schemas.ReconsiderationAnswer,
    responses=schemas.problems(401, 403, 404, 409, 422),
)
async def post_reconsideration(
    complaint_id: str, body: Reconsideration, request: Request, caller: Caller, runtime: Runtime
) -> JSONResponse:
    """RCN-02: 201 inside the window, 422 (and `reconsideration.rejected_late`) after it."""
    require(caller, *ACTING_ROLES)
    await context(request).inbound.settled()
    async with runtime.unit_of_work() as uow:
        outcome = await complaints.reconsider(uow, context(request), caller, parse_id(complaint_id), body)
    return answer(outcome)


@router.post(
    "/complaints/{complaint_id}/reclassification",
    response_model=schemas.ReclassificationAnswer,
    responses=schemas.problems(401, 403, 404, 409, 422),
)
async def post_reclassification(
    complaint_id: str, body: Reclassification, request: Request, caller: Caller, runtime: Runtime
) -> JSONResponse:
    """INT-36: 200 for an allowed change, 409 for the reverse of an irreversible upgrade."""
    require(caller, *ACTING_ROLES)
    async with runtime.unit_of_work() as uow:
        outcome = await complaints.reclassify(uow, context(request), caller, parse_id(complaint_id), body)
    return answer(outcome)


regimes = APIRouter(prefix="/v1", tags=["regimes"])


@regimes.get("/regimes", response_model=list[schemas.Regime], responses=schemas.problems(401))
async def list_regimes(request: Request, caller: Caller) -> list[dict[str, Any]]:
    """CONTRACT §2: every regime's policy described."""
    return [p.describe() for _, p in sorted(context(request).policies.items())]


@regimes.get("/regimes/{regime_id}", response_model=schemas.Regime, responses=schemas.problems(401, 404, 422))
async def get_regime(regime_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    policy = context(request).policies.get(regime_id)
    if policy is None:
        raise HTTPException(404, "no such regime")
    return policy.describe()
