"""Every event model stays backward compatible with its committed JSON Schema snapshot (ARCHITECTURE §4)."""

import copy
from typing import Any

import pytest

from tousu.contracts.snapshots import (
    SCHEMAS_DIR,
    catalogue_incompatibilities,
    current_schemas,
    incompatibilities,
    read_snapshots,
)

COMMITTED = read_snapshots(SCHEMAS_DIR)
CURRENT = current_schemas()


def test_snapshots_are_committed_for_every_type() -> None:
    assert len(COMMITTED) >= 57
    assert "cloudevent" in COMMITTED


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_current_schema_is_backward_compatible_with_its_snapshot(name: str) -> None:
    assert name in CURRENT, f"{name}: event type removed (a breaking change is a new event type)"
    assert incompatibilities(COMMITTED[name], CURRENT[name], name) == []


# --- the checker itself, on synthetic schemas -----------------------------------------------------------------

OLD: dict[str, Any] = {
    "$defs": {
        "Colour": {"enum": ["red", "green"], "type": "string"},
        "Part": {
            "properties": {"size": {"type": "integer"}, "label": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
            "required": ["size"],
            "type": "object",
        },
    },
    "additionalProperties": True,
    "properties": {
        "complaint_id": {"type": "string"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "at": {"format": "date-time", "type": "string"},
        "colour": {"$ref": "#/$defs/Colour"},
        "part": {"anyOf": [{"$ref": "#/$defs/Part"}, {"type": "null"}], "default": None},
        "tags": {"items": {"type": "string"}, "type": "array"},
        "figures": {"additionalProperties": {"type": "integer"}, "type": "object"},
    },
    "required": ["complaint_id", "at", "colour"],
    "type": "object",
}


def changed(edit: Any) -> dict[str, Any]:
    new = copy.deepcopy(OLD)
    edit(new)
    return new


def test_identical_schemas_are_compatible() -> None:
    assert incompatibilities(OLD, copy.deepcopy(OLD)) == []


def test_adding_an_optional_property_and_an_enum_value_is_compatible() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["extra"] = {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None}
        s["$defs"]["Colour"]["enum"].append("blue")
        s["$defs"]["Part"]["properties"]["weight"] = {"type": "number", "default": 0}
        s["properties"]["at"]["description"] = "documentation may change"

    assert incompatibilities(OLD, changed(edit)) == []


def test_a_removed_field_is_detected() -> None:
    new = changed(lambda s: s["properties"].pop("note"))
    assert incompatibilities(OLD, new) == ["$.note: property removed"]


def test_a_removed_field_of_a_nested_model_is_detected() -> None:
    new = changed(lambda s: s["$defs"]["Part"]["properties"].pop("label"))
    assert incompatibilities(OLD, new) == ["$.part.label: property removed"]


def test_a_newly_required_field_is_detected() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["new_one"] = {"type": "string"}
        s["required"].append("new_one")

    assert incompatibilities(OLD, changed(edit)) == ["$.new_one: property newly required"]


def test_an_optional_field_made_required_is_detected() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["note"] = {"type": "string"}
        s["required"].append("note")

    problems = incompatibilities(OLD, changed(edit))
    assert "$.note: property newly required" in problems
    assert "$.note: type changed from null|string to string" in problems


def test_a_required_field_made_optional_is_detected() -> None:
    new = changed(lambda s: s["required"].remove("colour"))
    assert incompatibilities(OLD, new) == ["$.colour: property no longer required"]


def test_a_changed_type_is_detected() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["tags"]["items"] = {"type": "integer"}
        s["$defs"]["Part"]["properties"]["size"] = {"type": "string"}
        s["properties"]["figures"]["additionalProperties"] = {"type": "string"}

    assert sorted(incompatibilities(OLD, changed(edit))) == [
        "$.figures.*: type changed from integer to string",
        "$.part.size: type changed from integer to string",
        "$.tags[]: type changed from string to integer",
    ]


def test_a_changed_format_is_detected() -> None:
    new = changed(lambda s: s["properties"]["at"].update(format="date"))
    assert incompatibilities(OLD, new) == ["$.at: format changed from ['date-time'] to ['date']"]


def test_a_removed_enum_value_is_detected() -> None:
    new = changed(lambda s: s["$defs"]["Colour"]["enum"].remove("green"))
    assert incompatibilities(OLD, new) == ["$.colour: enum value(s) removed: ['green']"]


def test_a_removed_event_type_is_detected() -> None:
    old = {"a.b": OLD, "c.d": OLD}
    assert catalogue_incompatibilities(old, {"a.b": OLD}) == ["c.d: event type removed"]


def test_the_checker_catches_a_real_model_losing_a_field() -> None:
    new = copy.deepcopy(CURRENT["complaint.escalated"])
    del new["properties"]["target_unit"]
    new["required"].remove("target_unit")
    assert incompatibilities(COMMITTED["complaint.escalated"], new, "complaint.escalated") == [
        "complaint.escalated.target_unit: property removed"
    ]
