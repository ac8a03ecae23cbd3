"""Every event type of ARCHITECTURE §1, by producer. Importing this package registers them all."""

from tousu.contracts.events.base import EVENT_TYPES, PRODUCERS, EventData, event

__all__ = ["EVENT_TYPES", "PRODUCERS", "EventData", "event"]
