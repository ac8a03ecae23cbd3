"""The organisation registry (CONTRACT §2) and the tree questions routing asks of it.

Organisation kinds are an open vocabulary. A regime names posts by kind: a policy's `role:<kind>` target (e.g.
`role:compliance-audit`) and an accountable role (e.g. `cro`) resolve to the nearest unit of that kind in the tree.
"""

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
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


def tree_errors(org: Org, parents: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """(field, message) for what would break the tree or the A/B duty: a cycle, duplicate handler ids."""
    errors: list[tuple[str, str]] = []
    current, seen = org.parent, {org.id}
    while current is not None:
        if current in seen:
            errors.append(("parent", "would make the organisation its own ancestor"))
            break
        seen.add(current)
        current = parents.get(current)
    ids = [h.id for h in org.handlers]
    if len(ids) != len(set(ids)):
        errors.append(("handlers", "handler ids must be unique within the organisation"))
    return errors


@dataclass(frozen=True)
class Pick:
    """Who at a unit takes a case: its A handler, its B handler when A is away (ORG-04), or nobody."""

    handler: str | None
    role: str | None
    nobody: bool = False
    """The unit lists handlers but none is available: the case goes unaccepted (ORG-04, SAN-01(1))."""


@dataclass
class Registry:
    orgs: Mapping[str, Org]
    _children: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for org in sorted(self.orgs.values(), key=lambda o: o.id):
            if org.parent is not None:
                self._children.setdefault(org.parent, []).append(org.id)

    @classmethod
    def of(cls, orgs: Iterable[Org]) -> "Registry":
        return cls({o.id: o for o in orgs})

    def __contains__(self, unit: object) -> bool:
        return unit in self.orgs

    def kind(self, unit: str) -> str | None:
        org = self.orgs.get(unit)
        return org.kind if org is not None else None

    def parents(self) -> dict[str, str | None]:
        return {o.id: o.parent for o in self.orgs.values()}

    def ancestors(self, unit: str) -> list[str]:
        """`unit` first, then its parent, up to the root (cycle-safe)."""
        chain: list[str] = []
        current: str | None = unit
        while current is not None and current not in chain:
            chain.append(current)
            org = self.orgs.get(current)
            current = org.parent if org is not None else None
        return chain

    def is_within(self, unit: str, ancestor: str) -> bool:
        return ancestor in self.ancestors(unit)

    def sees(self, viewer: str, units: Iterable[str]) -> bool:
        """A unit sees what concerns itself or its descendants (CONTRACT §3)."""
        return any(self.is_within(u, viewer) for u in units)

    def superior(self, unit: str) -> str | None:
        """Where the unit escalates: its `superior` when the registry names one, else its parent."""
        org = self.orgs.get(unit)
        if org is None:
            return None
        return org.superior or org.parent

    def climb(self, unit: str, steps: int) -> str:
        """The `steps`-th superior of `unit`, stopping at the top of the tree."""
        current = unit
        for _ in range(steps):
            above = self.superior(current)
            if above is None or above == unit:
                break
            current = above
        return current

    def subtree(self, unit: str) -> Iterator[str]:
        """`unit` and its descendants, nearest first."""
        queue, seen = deque([unit]), {unit}
        while queue:
            current = queue.popleft()
            yield current
            for child in self._children.get(current, []):
                if child not in seen:
                    seen.add(child)
                    queue.append(child)

    def nearest_of_kind(self, unit: str, kind: str) -> str | None:
        """The unit of `kind` nearest to `unit`: itself or a descendant, else within each ancestor's subtree in
        turn (so a department beside the unit's line, such as the same-level compliance office, is found)."""
        searched: set[str] = set()
        for ancestor in self.ancestors(unit):
            for candidate in self.subtree(ancestor):
                if candidate in searched:
                    continue
                searched.add(candidate)
                if self.kind(candidate) == kind:
                    return candidate
        return None

    def with_authority(self, unit: str, level: str) -> str | None:
        """The nearest ancestor, itself included, with that authority level (RTE-04)."""
        return next((u for u in self.ancestors(unit) if self.orgs[u].authority_level == level), None)

    def ancestor_of_kind(self, unit: str, kind: str) -> str | None:
        return next((u for u in self.ancestors(unit) if self.orgs[u].kind == kind), None)

    def tenant_root(self, unit: str) -> str:
        """The topmost ancestor of the same tenant (a head office)."""
        org = self.orgs.get(unit)
        if org is None:
            return unit
        return [u for u in self.ancestors(unit) if self.orgs[u].tenant == org.tenant][-1]

    def pick_handler(self, unit: str, exclude: Iterable[str] = ()) -> Pick:
        """The A handler when available, else the B handler (ORG-04); a unit listing no handlers takes cases
        as a unit (no handler named). `exclude`: handlers who already had the case and let it lapse."""
        org = self.orgs.get(unit)
        if org is None or not org.handlers:
            return Pick(None, None)
        skipped = set(exclude)
        for role in ("A", "B"):
            for handler in org.handlers:
                if handler.role == role and handler.available and handler.id not in skipped:
                    return Pick(handler.id, role)
        return Pick(None, None, nobody=True)

    def handler_role(self, unit: str, staff: str | None) -> str | None:
        org = self.orgs.get(unit)
        if org is None or staff is None:
            return None
        return next((h.role for h in org.handlers if h.id == staff), None)

    def is_available(self, unit: str, handler: str | None) -> bool:
        org = self.orgs.get(unit)
        if org is None or handler is None:
            return True
        return any(h.id == handler and h.available for h in org.handlers)

    def ingress_principals(self, user: str) -> list[tuple[str, frozenset[str]]]:
        """(organisation, roles) for every organisation that lists this RabbitMQ user (CONTRACT §9)."""
        return [
            (o.id, frozenset(iu.roles))
            for o in sorted(self.orgs.values(), key=lambda o: o.id)
            for iu in o.ingress_users
            if iu.user == user
        ]
