"""The event catalogue of ARCHITECTURE §1 is exactly what tousu.contracts.events registers."""

import re
from typing import Any

import pytest

import tousu.contracts.events as events
from tousu.contracts.events import EVENT_TYPES, PRODUCERS, EventData

CATALOGUE: dict[str, tuple[str, ...]] = {
    "intake": (
        "complaint.received",
        "complaint.reclassified",
        "complaint.rejected",
        "complaint.closed_at_intake",
        "complaint.repeat_detected",
        "complaint.large_scale_detected",
        "complaint.withdrawn",
        "complaint.withdrawal_refused",
        "reconsideration.requested",
        "reconsideration.rejected_late",
    ),
    "routing": (
        "org.updated",
        "complaint.assigned",
        "complaint.forwarded",
        "complaint.acknowledged",
        "complaint.verified",
        "complaint.approval_decided",
        "complaint.joint_investigation_opened",
        "complaint.customer_contact_attempted",
        "complaint.progress_reported",
        "complaint.extension_requested",
        "complaint.extension_decided",
        "complaint.result_submitted",
        "complaint.result_rejected",
        "complaint.replied",
        "complaint.objected",
        "complaint.redispatched",
        "complaint.escalated",
        "complaint.closed",
        "callback.required",
        "callback.recorded",
        "reconsideration.decided",
        "compliance.referred",
    ),
    "sla": (
        "sla.clock_started",
        "sla.warning",
        "sla.breached",
        "sla.breach_withdrawn",
        "sla.met",
        "sla.extended",
        "sla.paused",
        "sla.resumed",
        "sla.clock_stopped",
        "sla.rescheduled",
    ),
    "sanctions": (
        "responsibility.determined",
        "responsibility.appealed",
        "sanction.imposed",
        "sanction.fulfilled",
        "sanction.lifted",
        "reward.recommended",
        "kpi.evaluated",
        "points.recorded",
    ),
    "reporting": (
        "report.due",
        "report.generated",
        "report.submitted",
        "report.overdue",
        "regulator.report_required",
        "complaint.archived",
    ),
}
"""ARCHITECTURE §1, copied by hand: the specification this test holds the code to."""

SPEC = {t: producer for producer, types in CATALOGUE.items() for t in types}

PERSONAL = {"name", "phone", "id_number", "account", "address", "email", "mobile", "complainant", "contact"}
"""Property names that would carry personal data. `Organisation.name` is an organisation's name: allowed there."""


def class_name(event_type: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[._]", event_type))


def test_the_catalogue_has_56_distinct_types() -> None:
    assert len(SPEC) == sum(len(t) for t in CATALOGUE.values()) == 56


def test_every_catalogue_type_is_registered_with_its_one_producer() -> None:
    assert {t: PRODUCERS.get(t) for t in SPEC} == SPEC


def test_no_type_outside_the_catalogue_is_registered() -> None:
    assert set(EVENT_TYPES) - set(SPEC) == set()
    assert set(PRODUCERS) == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(SPEC))
def test_model_is_named_after_its_type_and_lives_in_its_producers_module(event_type: str) -> None:
    model = EVENT_TYPES[event_type]
    assert issubclass(model, EventData)
    assert model.__name__ == class_name(event_type)
    assert model.__module__ == f"tousu.contracts.events.{SPEC[event_type]}"
    assert getattr(events, model.__name__) is model, "re-exported from tousu.contracts.events"
    assert model.__name__ in events.__all__
    assert events.model_for(event_type) is model


def test_registering_a_type_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        events.event("complaint.received", "intake")(type("Again", (EventData,), {"__annotations__": {}}))


def _property_names(schema: dict[str, Any]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for title, node in [("", schema), *((k, v) for k, v in schema.get("$defs", {}).items())]:
        for prop in node.get("properties", {}):
            found.add((title, prop))
    return found


@pytest.mark.parametrize("event_type", sorted(SPEC))
def test_no_event_has_a_personal_data_field(event_type: str) -> None:
    schema = EVENT_TYPES[event_type].model_json_schema(mode="serialization")
    leaks = {
        (where, prop)
        for where, prop in _property_names(schema)
        if prop in PERSONAL and (where, prop) != ("Organisation", "name")
    }
    assert leaks == set()


def test_complainant_is_only_a_keyed_reference() -> None:
    fields = {f"{t}.{name}" for t, model in EVENT_TYPES.items() for name in model.model_fields if "complainant" in name}
    assert {f.split(".", 2)[-1] for f in fields} <= {"complainant_ref", "complainant_standing"}


REQUIRED_NAMES: dict[str, set[str]] = {
    "complaint.received": {
        "complaint_id",
        "reference",
        "regime",
        "policy_version",
        "received_at",
        "receiving_unit",
        "receiver_staff",
        "channel",
        "kind",
        "category",
        "priority",
        "respondent_unit",
        "respondent_staff",
        "complainant_ref",
        "authority",
        "parent_complaint_id",
        "external_ref",
        "flags",
        "classification",
        "disputed_amount",
        "fault",
    },
    "complaint.assigned": {"unit", "handler", "handler_role", "reason"},
    "complaint.forwarded": {"from_unit", "to_unit", "transfer", "by", "staff"},
    "complaint.escalated": {
        "complaint_id",
        "reference",
        "regime",
        "stage",
        "owner_unit",
        "due_at",
        "breached_at",
        "level",
        "target_unit",
        "reason",
        "rule",
    },
    "sla.clock_started": {
        "stage",
        "owner_unit",
        "clock",
        "due_at",
        "started_at",
        "warning_at",
        "provisional",
        "policy_version",
    },
    "sla.breached": {"stage", "owner_unit", "clock", "due_at", "breached_at"},
    "sla.warning": {"stage", "owner_unit", "clock", "due_at", "warning_at"},
    "sla.met": {"stage", "owner_unit", "clock", "due_at", "stopped_at"},
    "sla.clock_stopped": {"stage", "owner_unit", "clock", "due_at", "stopped_at", "reason"},
    "sla.extended": {"stage", "owner_unit", "clock", "due_at", "previous_due_at", "new_due_at", "approver", "reason"},
    "sla.paused": {"stage", "owner_unit", "clock", "due_at", "at", "reason"},
    "sla.resumed": {"stage", "owner_unit", "clock", "due_at", "at", "reason"},
    "sla.rescheduled": {"stage", "owner_unit", "clock", "due_at", "previous_due_at", "provisional"},
    "sla.breach_withdrawn": {"stage", "owner_unit", "clock", "due_at", "breached_at", "stopped_at"},
    "sanction.imposed": {"sanction_id", "kind", "target_org", "target_persons", "issuer", "evidence", "reason"},
    "kpi.evaluated": {"org", "period", "metric", "value", "threshold", "compliant", "verdict"},
    "responsibility.determined": {"determination_id", "responsible", "clause", "type", "persons", "disputed_fee_borne"},
    "report.due": {"kind", "period", "org", "due_at"},
    "report.overdue": {"kind", "period", "org", "due_at"},
    "report.generated": {"kind", "period", "org", "due_at"},
    "report.submitted": {"kind", "period", "org", "due_at"},
    "regulator.report_required": {"reason", "due_at", "to", "source_event"},
    "complaint.closed": {"archive_class"},
    "callback.required": {"by_unit", "due_at", "sample"},
    "callback.recorded": {"satisfied", "by_unit"},
    "complaint.redispatched": {"to_unit", "dispatch_number", "reason"},
}
"""Field names other services code against (the brief of the contracts)."""


@pytest.mark.parametrize("event_type", sorted(REQUIRED_NAMES))
def test_agreed_field_names_exist(event_type: str) -> None:
    fields = set(EVENT_TYPES[event_type].model_fields)
    assert REQUIRED_NAMES[event_type] - fields == set()


@pytest.mark.parametrize("event_type", sorted(SPEC))
def test_every_event_has_the_common_fields(event_type: str) -> None:
    fields = EVENT_TYPES[event_type].model_fields
    assert {"complaint_id", "regime", "occurred_at", "rule"} <= set(fields)
    assert fields["occurred_at"].is_required()


@pytest.mark.parametrize("event_type", sorted(t for t in SPEC if t.startswith("sla.")))
def test_sla_events_are_about_one_complaint_and_stage(event_type: str) -> None:
    fields = EVENT_TYPES[event_type].model_fields
    for name in ("complaint_id", "regime", "stage", "owner_unit", "clock", "due_at"):
        assert fields[name].is_required(), name
