"""A complaint as submitted (CONTRACT §4), over HTTP or `tousu.ingress` alike."""

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tousu.contracts.types import BusinessTime, Id


class Complainant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    id_number: str | None = Field(default=None, max_length=40)
    account: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=500)
    standing: str | None = Field(default=None, description="direct | agent (INT-21(3))")
    authorisation_ref: str | None = None
    confidential: bool = Field(default=False, description="an informant whose identity is never revealed (CONF-*)")
    category: str | None = None

    def personal_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if k in PERSONAL_FIELDS and v is not None}


PERSONAL_FIELDS = ("name", "phone", "id_number", "account", "address")


class Respondent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: Id
    staff: list[str] = Field(default_factory=list)


class Money(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(ge=0, decimal_places=2)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_stopped: bool = False
    blocks_normal_use: bool = False
    root_cause_domain: str | None = None
    severity: str | None = None


class ResolvedAtIntake(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: BusinessTime
    resolution: str
    customer_satisfied: bool


class Submission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regime: Id
    received_at: BusinessTime
    receiving_unit: Id
    receiver_staff: str | None = None
    channel: str
    kind: str = "complaint"
    complainant: Complainant
    respondent: Respondent
    category: str = "other"
    facts: str | None = Field(default=None, max_length=20_000)
    demand: str | None = Field(default=None, max_length=5_000)
    disputed_amount: Money | None = None
    priority: str | None = None
    flags: dict[str, bool] = Field(default_factory=dict)
    authority: str | None = None
    parent_complaint_id: str | None = None
    external_ref: str | None = Field(default=None, max_length=200)
    fault: Fault | None = None
    resolved_at_intake: ResolvedAtIntake | None = None

    def record(self) -> dict[str, Any]:
        """Everything but the complainant's personal data (that is sealed apart)."""
        data = self.model_dump(mode="json")
        complainant = data.pop("complainant")
        data["complainant"] = {k: v for k, v in complainant.items() if k not in PERSONAL_FIELDS}
        return data
