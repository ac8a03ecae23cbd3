"""A case: one complaint's journey through units (ARCHITECTURE §1, LC-*).

`owner_unit` is the first owner the routing ladder named; under first-contact responsibility (首問負責制, ORG-40,
ORG-41) it stays the owner to the end while `holder_unit` follows the case from unit to unit.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tousu.contracts.events.base import EventData

Outcome = Literal["open", "closed", "withdrawn", "referred"]
FINAL_OUTCOMES = ("closed", "withdrawn", "referred")


class PendingExtension(BaseModel):
    stage: str | None
    until: datetime
    by: str
    requested_at: datetime


class PendingReconsideration(BaseModel):
    lodged_with: str
    requested_at: datetime


class CaseState(BaseModel):
    model_config = ConfigDict(validate_assignment=False)

    complaint_id: str
    reference: str
    tenant: str
    regime: str
    policy_version: str
    received_at: datetime
    receiving_unit: str
    respondent_unit: str
    owner_unit: str
    holder_unit: str
    facts: dict[str, Any]
    """The complaint as received (complaint.received's data, updated by complaint.reclassified)."""
    units: list[str] = Field(default_factory=list)
    """Every unit the case has concerned (visibility, CONTRACT §3)."""
    outcome: Outcome = "open"
    handler: str | None = None
    handler_role: str | None = None
    lapsed: list[str] = Field(default_factory=list)
    """Handlers of the current unit who let the case lapse unacknowledged (not offered it again)."""
    acknowledged: bool = False
    transferred_at: datetime | None = None
    dispatches: int = 0
    """Forwards so far."""
    redispatches: int = 0
    last_dispatch_unit: str | None = None
    came_from: dict[str, str] = Field(default_factory=dict)
    """unit → the unit that sent the case to it (whom its result goes back to)."""
    results: dict[str, Literal["submitted", "rejected"]] = Field(default_factory=dict)
    last_result_unit: str | None = None
    replied: bool = False
    last_callback_satisfied: bool | None = None
    callbacks_due: dict[str, bool] = Field(default_factory=dict)
    """unit → sample? for every callback.required emitted."""
    extension: PendingExtension | None = None
    reconsideration: PendingReconsideration | None = None
    escalation_levels: dict[str, int] = Field(default_factory=dict)
    """Escalations so far per stage (or `case` for those without a stage): the next is one step higher."""
    major_notified: bool = False
    owner_role: str | None = None
    accountable_unit: str | None = None
    stage_starts: dict[str, datetime] = Field(default_factory=dict)
    """Stage id → when its latest round started, as the policy's start triggers say (extension caps)."""
    closed_at: datetime | None = None

    @property
    def status(self) -> str:
        if self.outcome != "open":
            return self.outcome
        if self.replied:
            return "replied"
        if "submitted" in self.results.values():
            return "result_submitted"
        if self.acknowledged:
            return "in_handling"
        if self.dispatches or self.redispatches:
            return "dispatched"
        return "assigned"

    @property
    def is_open(self) -> bool:
        return self.outcome == "open"

    def concern(self, *units: str | None) -> None:
        for unit in units:
            if unit and unit not in self.units:
                self.units.append(unit)

    def next_level(self, key: str) -> int:
        level = self.escalation_levels.get(key, 0) + 1
        self.escalation_levels[key] = level
        return level

    def view(self) -> dict[str, Any]:
        """What `GET /v1/cases/{id}` and work lists show (no personal data is ever held here)."""
        return {
            "complaint_id": self.complaint_id,
            "reference": self.reference,
            "regime": self.regime,
            "tenant": self.tenant,
            "status": self.status,
            "owner_unit": self.owner_unit,
            "holder_unit": self.holder_unit,
            "receiving_unit": self.receiving_unit,
            "respondent_unit": self.respondent_unit,
            "handler": self.handler,
            "handler_role": self.handler_role,
            "acknowledged": self.acknowledged,
            "owner_role": self.owner_role,
            "accountable_unit": self.accountable_unit,
            "transferred": self.transferred_at is not None,
            "dispatch_number": self.redispatches + 1 if self.dispatches or self.redispatches else 0,
            "units": list(self.units),
        }


class Emission(BaseModel):
    """An event the journey yields; the service layer emits it through the outbox."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    type: str
    data: EventData
