"""Composition root of routing."""

from fastapi import FastAPI

from tousu.contracts.policy import find_policies_dir, load_policies
from tousu.kit.http import service_app
from tousu.kit.runtime import ServiceRuntime, ServiceSpec
from tousu.kit.settings import ServiceSettings
from tousu.routing.adapters.tables import kit
from tousu.routing.entrypoints import http
from tousu.routing.service_layer.cases import on_complaint_received, on_sla_breached

SPEC = ServiceSpec(
    name="routing",
    tables=kit,
    handlers={"complaint.received": on_complaint_received, "sla.breached": on_sla_breached},
)


def create_app(settings: ServiceSettings) -> FastAPI:
    runtime = ServiceRuntime(SPEC, settings)
    app = service_app(runtime, [http.router], description="Organisations and case journeys (CONTRACT §5).")
    app.state.regimes = set(load_policies(settings.policies_dir or find_policies_dir()))
    return app
