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
from tousu.reporting.service_layer.reactions import Reactions

log = structlog.get_logger("tousu.reporting.calendar")
TICK_S = 0.5


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


def build_spec(catalogue: Catalogue) -> ServiceSpec:
    return ServiceSpec(
        name="reporting",
        tables=kit,
        handlers={"*": Reactions(catalogue).on_event},
        background=[calendar_task(ReportCalendar(catalogue))],
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
