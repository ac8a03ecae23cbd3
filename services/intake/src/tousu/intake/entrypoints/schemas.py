"""Shapes of intake's HTTP answers, for the OpenAPI document (CONTRACT §4). Records may grow: extra fields allowed."""

from typing import Any

from pydantic import BaseModel, ConfigDict

from tousu.kit.http import PROBLEM


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ProblemField(_Open):
    field: str
    message: str
    rule: str | None = None


class Problem(_Open):
    """RFC 9457 problem details with the bad fields and the rule ids they break."""

    type: str = "about:blank"
    title: str
    status: int
    errors: list[ProblemField] = []
    rule: str | None = None


class SubmissionAnswer(_Open):
    """201 (or 200 for the same Idempotency-Key and body again)."""

    id: str
    reference: str
    status: str
    """received, referred (excluded from the complaint process and sent elsewhere) or closed_at_intake."""
    classification: dict[str, Any]
    deadlines_url: str


class ComplaintRecord(_Open):
    """The record as submitted, personal data masked (revealed only to an auditor, audited)."""

    id: str
    reference: str
    status: str
    regime: str
    classification: dict[str, Any]
    complainant: dict[str, Any]
    revealed: bool


class WithdrawalAnswer(_Open):
    id: str
    status: str
    withdrawn_at: str | None


class ReconsiderationAnswer(_Open):
    id: str
    status: str
    requested_at: str | None
    lodged_with: str
    window_closes_at: str | None


class ReclassificationAnswer(_Open):
    id: str
    kind: str
    priority: str
    category: str
    classification: dict[str, Any]


class RevealEntry(_Open):
    caller_org: str
    caller: str
    roles: list[str]
    fields: list[str]
    outcome: str
    at: str | None


class Regime(_Open):
    """CONTRACT §2: a policy described."""

    id: str
    version: str
    kinds: list[str]
    categories: list[dict[str, Any]]
    stages: list[dict[str, Any]]
    reports: list[dict[str, Any]]


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for problem+json answers."""
    return {
        status: {
            "model": Problem,
            "description": "problem details",
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
