"""An organisation of the registry (CONTRACT §2)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tousu.contracts.types import Id


class Handler(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    role: Literal["A", "B"] = "A"
    available: bool = True


class IngressUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str
    roles: list[str] = Field(default_factory=lambda: ["submitter"])


class Org(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Id
    name: str
    kind: str
    parent: Id | None = None
    tenant: Id
    regimes: list[str]
    handlers: list[Handler] = Field(default_factory=list)
    authority_level: str | None = None
    ingress_users: list[IngressUser] = Field(default_factory=list)
    superior: Id | None = Field(default=None, description="escalation target when it is not the parent")
