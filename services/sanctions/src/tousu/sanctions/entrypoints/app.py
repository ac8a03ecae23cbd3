"""Composition root of sanctions."""

from fastapi import FastAPI

from tousu.kit.http import service_app
from tousu.kit.runtime import ServiceRuntime, ServiceSpec
from tousu.kit.settings import ServiceSettings
from tousu.sanctions.adapters.tables import kit
from tousu.sanctions.entrypoints import http
from tousu.sanctions.service_layer.facts import FACT_TYPES, record_fact

SPEC = ServiceSpec(name="sanctions", tables=kit, handlers=dict.fromkeys(FACT_TYPES, record_fact))


def create_app(settings: ServiceSettings) -> FastAPI:
    runtime = ServiceRuntime(SPEC, settings)
    return service_app(runtime, [http.router], description="Responsibility, accountability and KPIs (CONTRACT §7).")
