"""Composition root of routing."""

from fastapi import FastAPI

from tousu.contracts import topology as names
from tousu.contracts.policy import find_policies_dir, load_policy_history
from tousu.kit.http import service_app
from tousu.kit.runtime import ServiceRuntime, ServiceSpec
from tousu.kit.settings import ServiceSettings
from tousu.routing.adapters.tables import kit
from tousu.routing.entrypoints import http
from tousu.routing.service_layer.journeys import Routing


def build_spec(routing: Routing) -> ServiceSpec:
    return ServiceSpec(
        name="routing",
        tables=kit,
        handlers={
            "complaint.received": routing.on_received,
            "complaint.reclassified": routing.on_reclassified,
            "complaint.withdrawn": routing.on_ended_at_intake,
            "complaint.closed_at_intake": routing.on_ended_at_intake,
            "complaint.repeat_detected": routing.on_repeat_detected,
            "reconsideration.requested": routing.on_reconsideration_requested,
            "sla.warning": routing.on_sla_warning,
            "sla.breached": routing.on_sla_breached,
        },
        ingress={names.CASE_ACT_KEY: routing.on_case_act},
    )


ROUTING = Routing(load_policy_history(find_policies_dir()))
SPEC = build_spec(ROUTING)


def create_app(settings: ServiceSettings) -> FastAPI:
    if settings.policies_dir is None:
        routing, spec = ROUTING, SPEC
    else:
        routing = Routing(load_policy_history(settings.policies_dir))
        spec = build_spec(routing)
    runtime = ServiceRuntime(spec, settings)
    app = service_app(runtime, [http.router], description="Organisations and case journeys (CONTRACT §2, §5).")
    app.state.routing = routing
    return app
