"""Composition root of sla."""

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI

from tousu.contracts.policy import find_policies_dir, load_policy_history
from tousu.kit.http import service_app
from tousu.kit.runtime import ServiceRuntime, ServiceSpec
from tousu.kit.settings import ServiceSettings
from tousu.sla.adapters.tables import kit
from tousu.sla.entrypoints import http
from tousu.sla.entrypoints.timers import sweeper
from tousu.sla.service_layer.calendars import apply_calendar_file
from tousu.sla.service_layer.engine import Engine
from tousu.sla.service_layer.world import Policies
from tousu.sla.settings import SlaSettings

log = structlog.get_logger("tousu.sla")


def calendar_file_loader(policies: Policies, path: Path) -> Callable[[ServiceRuntime], Coroutine[Any, Any, None]]:
    async def load_calendar_file(runtime: ServiceRuntime) -> None:
        async with runtime.unit_of_work() as uow:
            changed = await apply_calendar_file(uow, policies, path)
        log.info("calendar file applied", file=str(path), changes=changed)

    return load_calendar_file


def build_spec(policies: Policies, calendars_file: Path | None = None) -> ServiceSpec:
    engine = Engine(policies)
    background = [sweeper(policies)]
    if calendars_file is not None:
        background.append(calendar_file_loader(policies, calendars_file))
    return ServiceSpec(
        name="sla",
        tables=kit,
        handlers=dict.fromkeys(sorted(policies.event_types()), engine.on_event),
        background=background,
    )


POLICIES = Policies(load_policy_history(find_policies_dir()))
SPEC = build_spec(POLICIES)


def create_app(settings: ServiceSettings) -> FastAPI:
    own = SlaSettings()
    policies = POLICIES if settings.policies_dir is None else Policies(load_policy_history(settings.policies_dir))
    runtime = ServiceRuntime(build_spec(policies, own.calendars_file), settings)
    app = service_app(runtime, [http.router], description="Working-day clocks and durable timers (CONTRACT §6).")
    app.state.policies = policies
    return app
