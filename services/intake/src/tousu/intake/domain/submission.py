"""A complaint as submitted (CONTRACT §4), over HTTP or `tousu.ingress` alike: one model, one validation."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from tousu.contracts.types import SHANGHAI, Id
from tousu.contracts.vocab import Channel, ComplaintKind, FaultSeverity, Priority, Standing

PERSONAL_FIELDS = ("name", "phone", "id_number", "account", "address")
"""The complainant's personal data: sealed at rest, masked on every read, never in events, logs or errors."""


def _plausible(value: datetime) -> datetime:
    # A year outside this range is a typo, and converting it to +08:00 could overflow.
    if not 1970 <= value.year <= 2200:
        raise ValueError("the year must be between 1970 and 2200")
    return value.astimezone(SHANGHAI)


Instant = Annotated[AwareDatetime, AfterValidator(_plausible)]
"""An aware instant, normalised to +08:00 (CONV-01)."""

Short = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


def unstorable(value: Any, path: str = "") -> str | None:
    """The path of the first string that PostgreSQL cannot store (a NUL or a lone surrogate), if any."""
    if isinstance(value, str):
        if "\x00" in value:
            return path or "body"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "body"
        return None
    if isinstance(value, dict):
        items: list[tuple[str, Any]] = [(str(k), v) for k, v in value.items()]
        items += [(str(k), k) for k in value]
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return None
    for key, item in items:
        found = unstorable(item, f"{path}.{key}" if path else key)
        if found:
            return found
    return None


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Complainant(_Input):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    id_number: str | None = Field(default=None, max_length=40)
    account: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=500)
    standing: Standing | None = None
    """direct, or agent (委托人) with `authorisation_ref` (INT-21(3))."""
    authorisation_ref: Short | None = None
    confidential: bool = False
    """An informant (舉報人) whose identity is never revealed (CONF-01, CONF-02)."""
    category: Short | None = None
    """consumer, retail customer, industrial enterprise, internal staff, ... (DOMAIN §7)."""

    def personal_data(self) -> dict[str, str]:
        return {k: v for k in PERSONAL_FIELDS if (v := getattr(self, k))}


class Respondent(_Input):
    unit: Id | None = None
    """The complained unit; left out when the caller cannot name it (the regime may then refuse, INT-21(4))."""
    staff: list[Short] = Field(default_factory=list, max_length=50)
    """Staff ids of the complained persons, never names."""


class Money(_Input):
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")


class Fault(_Input):
    service_stopped: bool = False
    blocks_normal_use: bool = False
    root_cause_domain: Literal["vendor", "operator"] | None = None
    severity: FaultSeverity | None = None
    """Left out: classified from the facts by the regime's rules (INT-33)."""


class ResolvedAtIntake(_Input):
    at: Instant
    resolution: str = Field(min_length=1, max_length=5000)
    customer_satisfied: bool
    no_further_complaint: bool | None = None
    """The customer states he will not complain again about the same event (LC-04)."""


class Submission(_Input):
    regime: Id
    received_at: Instant
    receiving_unit: Id
    receiver_staff: Short | None = None
    channel: Channel
    kind: ComplaintKind = ComplaintKind.COMPLAINT
    complainant: Complainant = Field(default_factory=Complainant)
    respondent: Respondent = Field(default_factory=Respondent)
    category: Key = "other"
    facts: str | None = Field(default=None, max_length=20_000)
    demand: str | None = Field(default=None, max_length=5_000)
    disputed_amount: Money | None = None
    priority: Priority | None = None
    """Left out: classified by the regime's rules."""
    flags: dict[Key, bool] = Field(default_factory=dict, max_length=50)
    authority: Key | None = None
    parent_complaint_id: str | None = Field(default=None, max_length=64)
    external_ref: Short | None = None
    fault: Fault | None = None
    resolved_at_intake: ResolvedAtIntake | None = None
    product: Short | None = None
    """The product or matter complained about, where many complaints may share it (large-scale detection)."""
    cause_levels: list[Short] = Field(default_factory=list, max_length=4)
    """Cause categories chosen at intake, level 1 first (INT-37)."""
    recording_ref: Short | None = None
    """Reference of the call recording (CONF-09)."""

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        path = unstorable(value)
        if path:
            raise ValueError(f"{path}: contains a NUL character or an unpaired surrogate")
        return value

    def data(self) -> dict[str, Any]:
        """The submission as the regime's conditions read it (JSON values, dotted paths)."""
        return self.model_dump(mode="json")

    def record(self) -> dict[str, Any]:
        """Everything but the complainant's personal data (that is sealed apart)."""
        data = self.data()
        data["complainant"] = {k: v for k, v in data["complainant"].items() if k not in PERSONAL_FIELDS}
        return data
