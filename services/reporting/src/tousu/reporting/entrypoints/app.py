"""Composition root of reporting."""

import asyncio

import structlog
from fastapi import FastAPI

from tousu.contracts.policy import find_policies_dir, load_policies
from tousu.kit.http import service_app
from tousu.kit.runtime import BackgroundTask, ServiceRuntime, ServiceSpec
from tousu.kit.settings import ServiceSettings
from tousu.reporting.adapters.tables import kit
from tousu.reporting.entrypoints import dashboard, http
from tousu.reporting.service_layer.calendar import ReportCalendar
from tousu.reporting.service_layer.catalogue import Catalogue
from tousu.reporting.service_layer.projections import project_dirty
from tousu.reporting.service_layer.reactions import Reactions

log = structlog.get_logger("tousu.reporting")
PROJECT_IDLE_S = 0.2
"""between folds unless a full batch is waiting: a complaint's events arriving meanwhile are folded once"""
PROJECT_BATCH = 500
RETRY_S = 1.0
"""after a failed tick"""
MIN_WAIT_S = 0.2
"""between ticks: an instant already due but claimed by another replica is not spun on"""
MAX_WAIT_S = 60.0
"""the longest sleep: an organisation heard of by another replica's consumer is seen within it"""
ORG_SETTLE_S = 1.0
"""after an `org.updated` here, for its transaction to commit before the calendar reads it"""


def calendar_task(calendar: ReportCalendar, orgs_changed: asyncio.Event) -> BackgroundTask:
    async def report_calendar(runtime: ServiceRuntime) -> None:
        """Announce due and overdue reports as business time passes (or jumps): it sleeps until the next instant
        with something due, waking early when the controlled clock moves or an organisation is heard of."""
        while True:
            wait = RETRY_S
            try:
                async with runtime.unit_of_work() as uow:
                    await calendar.tick(uow, runtime.clock.now())
                wait = MAX_WAIT_S
                if calendar.wake_at is not None:
                    wait = min(wait, (calendar.wake_at - runtime.clock.now()).total_seconds())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("report calendar tick failed; retrying")
            await _sleep(runtime, max(MIN_WAIT_S, wait), orgs_changed)

    return report_calendar


async def _sleep(runtime: ServiceRuntime, seconds: float, orgs_changed: asyncio.Event) -> None:
    jump = asyncio.ensure_future(runtime.clock.wait_jump(seconds))
    org = asyncio.ensure_future(orgs_changed.wait())
    try:
        await asyncio.wait({jump, org}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        jump.cancel()
        org.cancel()
    if orgs_changed.is_set():
        orgs_changed.clear()
        await asyncio.sleep(ORG_SETTLE_S)


def projector_task(reactions: Reactions) -> BackgroundTask:
    async def projector(runtime: ServiceRuntime) -> None:
        """Fold the complaints with new events, in batches, and file those that ended."""
        while True:
            folded = 0
            try:
                async with runtime.unit_of_work() as uow:
                    views = await project_dirty(uow, PROJECT_BATCH)
                    await reactions.archive(uow, views)
                    folded = len(views)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("projection failed; retrying")
            if folded < PROJECT_BATCH:
                await asyncio.sleep(PROJECT_IDLE_S)

    return projector


def build_spec(catalogue: Catalogue) -> ServiceSpec:
    orgs_changed = asyncio.Event()
    reactions = Reactions(catalogue, orgs_changed=orgs_changed)
    return ServiceSpec(
        name="reporting",
        tables=kit,
        handlers={"*": reactions.on_event},
        background=[projector_task(reactions), calendar_task(ReportCalendar(catalogue), orgs_changed)],
    )


CATALOGUE = Catalogue(load_policies(find_policies_dir()))
SPEC = build_spec(CATALOGUE)


def create_app(settings: ServiceSettings) -> FastAPI:
    catalogue = CATALOGUE if settings.policies_dir is None else Catalogue(load_policies(settings.policies_dir))
    spec = SPEC if settings.policies_dir is None else build_spec(catalogue)
    runtime = ServiceRuntime(spec, settings)
    app = service_app(
        runtime,
        [http.router, http.admin, dashboard.router],
        description="Timelines, statistics and reports (CONTRACT §8).",
    )
    app.state.catalogue = catalogue
    return app
