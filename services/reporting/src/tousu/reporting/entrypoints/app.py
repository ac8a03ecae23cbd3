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
TICK_S = 0.5
PROJECT_IDLE_S = 0.1


def calendar_task(calendar: ReportCalendar) -> BackgroundTask:
    async def report_calendar(runtime: ServiceRuntime) -> None:
        """Announce due and overdue reports as business time passes (or jumps)."""
        while True:
            try:
                async with runtime.unit_of_work() as uow:
                    await calendar.tick(uow, runtime.clock.now())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("report calendar tick failed; retrying")
            await runtime.clock.wait_jump(TICK_S)

    return report_calendar


def projector_task(reactions: Reactions) -> BackgroundTask:
    async def projector(runtime: ServiceRuntime) -> None:
        """Fold the complaints with new events, in batches, and file those that ended."""
        while True:
            folded = 0
            try:
                async with runtime.unit_of_work() as uow:
                    views = await project_dirty(uow)
                    await reactions.archive(uow, views)
                    folded = len(views)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("projection failed; retrying")
            if not folded:
                await asyncio.sleep(PROJECT_IDLE_S)

    return projector


def build_spec(catalogue: Catalogue) -> ServiceSpec:
    reactions = Reactions(catalogue)
    return ServiceSpec(
        name="reporting",
        tables=kit,
        handlers={"*": reactions.on_event},
        background=[projector_task(reactions), calendar_task(ReportCalendar(catalogue))],
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
