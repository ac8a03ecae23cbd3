"""Composition root of intake."""

import asyncio
import contextlib
from datetime import timedelta

import structlog
from fastapi import FastAPI

from tousu.contracts.policy import find_policies_dir, load_policies, load_policy_history
from tousu.contracts.topology import SUBMIT_KEY, service_queue
from tousu.intake.adapters.crypto import PersonalDataVault
from tousu.intake.adapters.inbound import Inbound
from tousu.intake.adapters.tables import kit
from tousu.intake.entrypoints import http
from tousu.intake.entrypoints.ingress import redact_submission, submit_handler
from tousu.intake.service_layer.context import IntakeContext
from tousu.intake.service_layer.facts import HANDLERS
from tousu.intake.service_layer.submit import purge_keys
from tousu.intake.settings import IntakeSettings
from tousu.kit.http import service_app
from tousu.kit.runtime import BackgroundTask, ServiceRuntime, ServiceSpec
from tousu.kit.settings import ServiceSettings

log = structlog.get_logger("tousu.intake")
PURGE_EVERY_S = 3600


def build_context(settings: ServiceSettings, own: IntakeSettings) -> IntakeContext:
    directory = settings.policies_dir or find_policies_dir()
    policies = load_policies(directory)
    for policy in policies.values():
        procedure = policy.intake.reconsideration
        if procedure is not None and procedure.starts_on not in HANDLERS:
            raise RuntimeError(f"{policy.id}: intake does not consume {procedure.starts_on} (reconsideration window)")
    return IntakeContext(
        policies=policies,
        history=load_policy_history(directory),
        vault=PersonalDataVault(own.key_ring(), own.pii_hash_key),
        inbound=Inbound(service_queue("intake")),
        keep_keys=timedelta(days=own.idempotency_days),
    )


def purge_task(keep: timedelta) -> BackgroundTask:
    async def purge_idempotency_keys(runtime: ServiceRuntime) -> None:
        """Idempotency keys past their retention are removed hourly (an expired key is also reused afresh)."""
        while True:
            with contextlib.suppress(Exception):
                async with runtime.unit_of_work() as uow:
                    removed = await purge_keys(uow, keep)
                if removed:
                    log.info("idempotency keys purged", count=removed)
            await asyncio.sleep(PURGE_EVERY_S)

    return purge_idempotency_keys


def watch_inbound(ctx: IntakeContext) -> BackgroundTask:
    async def watch_inbound_queue(runtime: ServiceRuntime) -> None:
        """Background tasks start once the broker is connected: hand the connection to the inbound watcher."""
        ctx.inbound.connection = runtime.connection

    return watch_inbound_queue


def build_spec(ctx: IntakeContext) -> ServiceSpec:
    return ServiceSpec(
        name="intake",
        tables=kit,
        handlers=HANDLERS,
        ingress={SUBMIT_KEY: submit_handler(ctx)},
        ingress_redact=redact_submission,
        background=[purge_task(ctx.keep_keys), watch_inbound(ctx)],
    )


SPEC = build_spec(build_context(ServiceSettings(), IntakeSettings()))


def create_app(settings: ServiceSettings) -> FastAPI:
    ctx = build_context(settings, IntakeSettings())
    runtime = ServiceRuntime(build_spec(ctx), settings)
    app = service_app(
        runtime,
        [http.submissions, http.router, http.regimes],
        description="Complaints from every channel (CONTRACT §4) and the regimes' policies (CONTRACT §2).",
    )
    app.state.intake = ctx
    return app
