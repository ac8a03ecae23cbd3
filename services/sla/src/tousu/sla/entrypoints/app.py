"""Composition root of sla."""

from fastapi import FastAPI

from tousu.contracts.policy import find_policies_dir, load_policy_history
from tousu.kit.http import service_app
from tousu.kit.runtime import ServiceRuntime, ServiceSpec
from tousu.kit.settings import ServiceSettings
from tousu.sla.adapters.tables import kit
from tousu.sla.entrypoints import http
from tousu.sla.entrypoints.timers import sweep_timers
from tousu.sla.service_layer.engine import Engine, Policies


def build_spec(policies: Policies) -> ServiceSpec:
    engine = Engine(policies)
    return ServiceSpec(
        name="sla",
        tables=kit,
        handlers=dict.fromkeys(sorted(policies.event_types()), engine.on_event),
        background=[sweep_timers],
    )


POLICIES = Policies(load_policy_history(find_policies_dir()))
SPEC = build_spec(POLICIES)


def create_app(settings: ServiceSettings) -> FastAPI:
    spec = SPEC if settings.policies_dir is None else build_spec(Policies(load_policy_history(settings.policies_dir)))
    runtime = ServiceRuntime(spec, settings)
    return service_app(runtime, [http.router], description="Working-day clocks and durable timers (CONTRACT §6).")
