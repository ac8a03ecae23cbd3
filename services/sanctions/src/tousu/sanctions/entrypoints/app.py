"""Composition root of sanctions."""

from fastapi import FastAPI

from tousu.contracts.policy import find_policies_dir, load_policy_history
from tousu.kit.http import service_app
from tousu.kit.runtime import ServiceRuntime, ServiceSpec
from tousu.kit.settings import ServiceSettings
from tousu.sanctions.adapters.tables import kit
from tousu.sanctions.entrypoints import http
from tousu.sanctions.entrypoints.ticks import evaluator
from tousu.sanctions.service_layer.engine import Engine
from tousu.sanctions.service_layer.policies import RuleBooks


def build_spec(books: RuleBooks) -> ServiceSpec:
    engine = Engine(books)
    return ServiceSpec(
        name="sanctions",
        tables=kit,
        handlers=dict.fromkeys(sorted(books.event_types()), engine.on_event),
        background=[evaluator(books)],
    )


BOOKS = RuleBooks(load_policy_history(find_policies_dir()))
SPEC = build_spec(BOOKS)


def create_app(settings: ServiceSettings) -> FastAPI:
    books = BOOKS if settings.policies_dir is None else RuleBooks(load_policy_history(settings.policies_dir))
    runtime = ServiceRuntime(SPEC if books is BOOKS else build_spec(books), settings)
    app = service_app(
        runtime,
        [http.router],
        description="Responsibility determinations, accountability ladders, KPIs and performance points (CONTRACT §7).",
    )
    app.state.books = books
    return app
