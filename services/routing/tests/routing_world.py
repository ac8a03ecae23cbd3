"""The world the routing unit tests run in: the demo organisations (deploy/demo/orgs.yaml) and the policies."""

import uuid
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tousu.contracts.policy import Policy, find_policies_dir, load_policies
from tousu.contracts.types import SHANGHAI
from tousu.kit.calendar import WorkingCalendar
from tousu.routing.domain.case import CaseState, Emission
from tousu.routing.domain.journey import Action, Journey, open_case
from tousu.routing.domain.orgs import Org, Registry

DEMO = Path(__file__).resolve().parents[3] / "deploy" / "demo" / "orgs.yaml"
CALENDAR = WorkingCalendar()


@cache
def policies() -> dict[str, Policy]:
    return load_policies(find_policies_dir(Path(__file__)))


def demo_orgs() -> list[Org]:
    return [Org.model_validate(o) for o in yaml.safe_load(DEMO.read_text(encoding="utf-8"))["orgs"]]


def registry(*changes: Org) -> Registry:
    """The demo registry, with some organisations replaced or added."""
    orgs = {o.id: o for o in demo_orgs()}
    orgs.update({o.id: o for o in changes})
    return Registry(orgs)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def received(regime: str, receiving: str, respondent: str | None = None, **extra: Any) -> dict[str, Any]:
    """The data of a complaint.received as intake emits it (no personal data)."""
    data: dict[str, Any] = {
        "complaint_id": str(uuid.uuid4()),
        "reference": "T-2026-000001",
        "regime": regime,
        "policy_version": policies()[regime].version,
        "occurred_at": "2026-04-08T10:00:00+08:00",
        "received_at": "2026-04-08T10:00:00+08:00",
        "receiving_unit": receiving,
        "channel": "phone",
        "kind": "complaint",
        "category": "service_attitude",
        "priority": "ordinary",
        "respondent_unit": respondent or receiving,
        "flags": {},
        "classification": {"validity": "valid", "scope": "in_scope", "major": False},
    }
    for key, value in extra.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and isinstance(data.get(key), dict) else value
    data["occurred_at"] = data["received_at"]
    return data


def open_(data: dict[str, Any], reg: Registry | None = None) -> tuple[CaseState, Journey, list[Emission]]:
    reg = reg or registry()
    return open_case(data, "t", policies()[data["regime"]], reg, CALENDAR)


def act(journey: Journey, type_: str, when: str, by: str, **fields: Any) -> list[Emission]:
    return journey.act(Action.model_validate({"type": type_, "at": f"{when}+08:00", "by": by, **fields}))


def only(emissions: list[Emission], type_: str) -> dict[str, Any]:
    found = [e for e in emissions if e.type == type_]
    assert len(found) == 1, [e.type for e in emissions]
    return found[0].data.model_dump(mode="json")


def types(emissions: list[Emission]) -> list[str]:
    return [e.type for e in emissions]
