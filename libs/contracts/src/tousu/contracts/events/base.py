"""What every event's `data` carries (CONTRACT §9), and the catalogue of event types (ARCHITECTURE §1)."""

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from tousu.contracts.types import BusinessTime


class EventData(BaseModel):
    """Common fields. Extra fields are kept (tolerant reader: producers may add optional fields)."""

    model_config = ConfigDict(extra="allow", frozen=True, use_attribute_docstrings=True)

    complaint_id: str | None = None
    regime: str | None = None
    occurred_at: BusinessTime
    rule: str | None = None


E = TypeVar("E", bound=type[EventData])

EVENT_TYPES: dict[str, type[EventData]] = {}
"""Event type → its data model."""
PRODUCERS: dict[str, str] = {}
"""Event type → the one service that produces it."""


def event(type_: str, producer: str) -> Callable[[E], E]:
    """Register a data model as the payload of one event type with its single producer."""

    def register(model: E) -> E:
        if type_ in EVENT_TYPES:
            raise ValueError(f"event type {type_} registered twice")
        EVENT_TYPES[type_] = model
        PRODUCERS[type_] = producer
        return model

    return register
