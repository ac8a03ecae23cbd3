"""The HTTP side every service shares: health, readiness, metrics, the admin clock, tokens and RFC 9457 errors."""

import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AwareDatetime, BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tousu.kit.asyncapi import asyncapi_document
from tousu.kit.auth import AuthError, Principal, verify_token
from tousu.kit.errors import FieldError, PermanentError, is_transient
from tousu.kit.runtime import ServiceRuntime

PROBLEM = "application/problem+json"
log = structlog.get_logger("tousu.http")


def problem(status: int, title: str, errors: Iterable[FieldError] = (), **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, **extra}
    body["errors"] = [e.as_dict() for e in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def validation_errors(exc: RequestValidationError) -> list[FieldError]:
    """Field errors without the submitted values: those may be personal data."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        out.append(FieldError(field=".".join(loc) or "body", message=str(err.get("msg", "invalid"))))
    return out


def runtime_of(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def _runtime(request: Request) -> ServiceRuntime:
    return runtime_of(request)


async def principal(request: Request) -> Principal:
    """The caller of a request. A coroutine, as every dependency here: FastAPI runs a plain `def` dependency in its
    thread pool, a thread hand-off per request for a few microseconds of work."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "a bearer token is required")
    try:
        return verify_token(runtime_of(request).settings.token_secret, token.strip())
    except AuthError as exc:
        raise HTTPException(401, "the bearer token is not valid") from exc


Caller = Annotated[Principal, Depends(principal)]
Runtime = Annotated[ServiceRuntime, Depends(_runtime)]


def require(caller: Principal, *roles: str) -> None:
    if not caller.has_any(roles):
        raise HTTPException(403, f"this needs one of the roles {', '.join(roles)}")


class ClockSetting(BaseModel):
    now: AwareDatetime


def service_app(
    runtime: ServiceRuntime,
    routers: Iterable[APIRouter],
    *,
    description: str,
) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=f"Tousu {runtime.name}", description=description, version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime

    @app.exception_handler(PermanentError)
    async def on_permanent(_: Request, exc: PermanentError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.errors, **({"rule": exc.rule} if exc.rule else {}))

    async def on_unavailable(request: Request, exc: Exception) -> Response:
        if not is_transient(exc):
            raise exc
        # Saturated or unavailable, not broken: the caller retries the same request (with its Idempotency-Key).
        log.warning(
            "request refused for now: a dependency is unavailable", path=request.url.path, error=type(exc).__name__
        )
        response = problem(503, "the service is busy or its database is unavailable; retry shortly")
        response.headers["Retry-After"] = "1"
        return response

    for transient in (SQLAlchemyError, OSError):
        app.add_exception_handler(transient, on_unavailable)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, "the request is not valid", validation_errors(exc))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # An unparsable body is invalid input like any other: 422 naming the body (CONTRACT §3).
            return problem(422, "the request is not valid", [FieldError("body", "not valid JSON")])
        return problem(exc.status_code, str(exc.detail))

    ops = APIRouter(tags=["operations"])

    @ops.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": runtime.name}

    @ops.get("/ready")
    async def ready() -> JSONResponse:
        checks = await runtime.ready()
        return JSONResponse({"ready": all(checks.values()), **checks}, status_code=200 if all(checks.values()) else 503)

    @ops.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @ops.get("/asyncapi")
    async def asyncapi_doc() -> dict[str, Any]:
        return asyncapi_document(runtime.spec)

    @ops.get("/admin/clock")
    async def get_clock(caller: Caller) -> dict[str, Any]:
        return {"now": runtime.clock.now().isoformat(), "controlled": runtime.clock.controlled}

    @ops.put("/admin/clock")
    async def put_clock(setting: ClockSetting, caller: Caller) -> dict[str, Any]:
        if not runtime.clock.controlled or runtime.clock_sync is None:
            raise HTTPException(404, "the clock is not controlled (TOUSU_CLOCK=controlled)")
        require(caller, "admin")
        await runtime.clock_sync.publish(setting.now)
        return {"now": runtime.clock.now().isoformat(), "controlled": True}

    app.include_router(ops)
    for router in routers:
        app.include_router(router)
    return app
