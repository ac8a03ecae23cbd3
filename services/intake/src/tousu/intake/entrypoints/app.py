"""Composition root of intake."""

from datetime import timedelta

from fastapi import FastAPI

from tousu.contracts.policy import find_policies_dir, load_policies
from tousu.intake.adapters.crypto import PersonalDataVault
from tousu.intake.adapters.tables import kit
from tousu.intake.entrypoints import http
from tousu.intake.entrypoints.context import IntakeContext
from tousu.intake.service_layer.orgs import on_org_updated
from tousu.intake.settings import IntakeSettings
from tousu.kit.http import service_app
from tousu.kit.runtime import ServiceRuntime, ServiceSpec
from tousu.kit.settings import ServiceSettings

SPEC = ServiceSpec(name="intake", tables=kit, handlers={"org.updated": on_org_updated})


def create_app(settings: ServiceSettings) -> FastAPI:
    own = IntakeSettings()
    runtime = ServiceRuntime(SPEC, settings)
    app = service_app(runtime, [http.router], description="Complaints from every channel (CONTRACT §4).")
    app.state.intake = IntakeContext(
        policies=load_policies(settings.policies_dir or find_policies_dir()),
        vault=PersonalDataVault(own.key_ring(), own.pii_hash_key),
        keep_keys=timedelta(days=own.idempotency_days),
    )
    return app
