"""The CloudEvents 1.0 envelope in structured JSON mode (ARCHITECTURE §4)."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from tousu.contracts.types import BusinessTime, Id

SERVICES = ("intake", "routing", "sla", "sanctions", "reporting")


class CloudEvent(BaseModel):
    """One event on `tousu.events`; `id` is the AMQP message_id and every consumer's inbox key."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: UUID = Field(default_factory=uuid4)
    source: str = Field(pattern=r"^tousu/[a-z]+$")
    type: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$")
    subject: str | None = None
    time: BusinessTime
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: str | None = None
    causationid: str | None = None
    tenant: Id
    schemaversion: int = 1
    data: dict[str, Any]

    @property
    def routing_key(self) -> str:
        """`<event type>.<tenant>` (CONTRACT §9)."""
        return f"{self.type}.{self.tenant}"

    @property
    def complaint_id(self) -> str | None:
        value = self.data.get("complaint_id")
        return str(value) if value is not None else None

    @property
    def occurred_at(self) -> datetime:
        """Business time of the fact: `data.occurred_at`, else the envelope's `time`."""
        raw = self.data.get("occurred_at")
        if raw is None:
            return self.time
        return raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
