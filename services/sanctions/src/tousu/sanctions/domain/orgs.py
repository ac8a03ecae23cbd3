"""The organisation tree as sanctions sees it (a replica of routing's registry), and whom a rule targets."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OrgRecord:
    parent: str | None
    kind: str
    tenant: str
    regimes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Orgs:
    records: Mapping[str, OrgRecord] = field(default_factory=dict)

    def get(self, org: str) -> OrgRecord | None:
        return self.records.get(org)

    def kind(self, org: str) -> str | None:
        record = self.records.get(org)
        return record.kind if record else None

    def parent(self, org: str) -> str | None:
        record = self.records.get(org)
        return record.parent if record else None

    def chain(self, org: str) -> list[str]:
        """`org`, its parent, … up to the root (cycle-safe)."""
        out: list[str] = []
        current: str | None = org
        while current is not None and current not in out:
            out.append(current)
            current = self.parent(current)
        return out

    def nearest(self, org: str, kind: str) -> str | None:
        """`org` itself or its nearest ancestor of organisation kind `kind`."""
        return next((o for o in self.chain(org) if self.kind(o) == kind), None)

    def children(self, org: str) -> list[str]:
        return sorted(o for o, r in self.records.items() if r.parent == org)

    def within(self, org: str, ancestor: str) -> bool:
        return ancestor in self.chain(org)


_TARGET = re.compile(r"^(?:(?P<relation>[a-z][a-z0-9_-]*) of )?(?P<field>[a-z][a-z0-9_]*)$")


@dataclass(frozen=True)
class TargetSpec:
    """Whom a rule targets: `respondent_unit` (the unit a field names), `parent of respondent_unit`, or
    `member of respondent_unit` (that unit or its nearest ancestor of organisation kind `member`)."""

    field: str
    relation: str | None = None

    @classmethod
    def parse(cls, text: str) -> "TargetSpec":
        match = _TARGET.match(text)
        if match is None:
            raise ValueError(f"target {text!r}: write <field>, parent of <field> or <org kind> of <field>")
        return cls(field=match["field"], relation=match["relation"])

    def resolve(self, values: Mapping[str, Any], orgs: Orgs) -> str | None:
        unit = values.get(self.field)
        if not isinstance(unit, str) or not unit:
            return None
        if self.relation is None:
            return unit
        if self.relation == "parent":
            return orgs.parent(unit)
        return orgs.nearest(unit, self.relation)

    def __str__(self) -> str:
        return self.field if self.relation is None else f"{self.relation} of {self.field}"
