"""Composition root of reporting."""

from fastapi import FastAPI

from tousu.kit.http import service_app
from tousu.kit.runtime import ServiceRuntime, ServiceSpec
from tousu.kit.settings import ServiceSettings
from tousu.reporting.adapters.tables import kit
from tousu.reporting.entrypoints import http
from tousu.reporting.service_layer.history import on_event

SPEC = ServiceSpec(name="reporting", tables=kit, handlers={"*": on_event})


def create_app(settings: ServiceSettings) -> FastAPI:
    runtime = ServiceRuntime(SPEC, settings)
    return service_app(runtime, [http.router], description="Timelines, statistics and reports (CONTRACT §8).")
